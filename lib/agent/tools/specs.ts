import "server-only";

import type { ToolSurface } from "../model-family";
import type { ToolSpec } from "../model/types";

export const SHELL_TOOL: ToolSpec = {
  name: "shell",
  description:
    "Runs a command in the workspace (/workspace) and returns its exit code, duration and output. Pass argv, e.g. " +
    '["cat","src/a.js"] or ["bash","-lc","npm test 2>&1 | tail -n 50"]. Set workdir rather than using cd. There is no network access.',
  parameters: {
    type: "object",
    properties: {
      command: { type: "array", items: { type: "string" }, description: "The command and its arguments (argv)." },
      workdir: { type: "string", description: "Working directory, relative to the workspace root (default: the root)." },
      timeout_ms: { type: "number", description: "Timeout in milliseconds." },
    },
    required: ["command"],
    additionalProperties: false,
  },
};

export const EXEC_COMMAND_TOOL: ToolSpec = {
  name: "exec_command",
  description:
    "Runs a shell command (bash -lc) in the workspace (/workspace). Returns its output once it exits, or after " +
    "yield_time_ms with a session_id while it keeps running; continue with write_stdin. There is no network access.",
  parameters: {
    type: "object",
    properties: {
      cmd: { type: "string", description: "The shell command to run." },
      workdir: { type: "string", description: "Working directory, relative to the workspace root (default: the root)." },
      yield_time_ms: { type: "number", description: "How long to wait for the command before returning what it printed so far (default 10000, 250-30000)." },
      max_output_tokens: { type: "number", description: "Most tokens of output to return; the middle of longer output is left out." },
      tty: { type: "boolean", description: "Run the command on a terminal, for interactive programs (default false)." },
      shell: { type: "string", description: "Shell to run the command with (default bash)." },
      login: { type: "boolean", description: "Run the shell as a login shell (default true)." },
    },
    required: ["cmd"],
    additionalProperties: false,
  },
};

export const WRITE_STDIN_TOOL: ToolSpec = {
  name: "write_stdin",
  description:
    "Writes characters to the stdin of a command still running from exec_command (chars may be empty to only wait " +
    'for more output; "\\u0003" is Ctrl-C), then returns the output printed since the last call.',
  parameters: {
    type: "object",
    properties: {
      session_id: { type: "number", description: "The session_id that exec_command returned." },
      chars: { type: "string", description: "Characters to write; empty to poll." },
      yield_time_ms: { type: "number", description: "How long to wait for output before returning (default 250, or 5000 when only polling)." },
      max_output_tokens: { type: "number", description: "Most tokens of output to return." },
    },
    required: ["session_id"],
    additionalProperties: false,
  },
};

export const VIEW_IMAGE_TOOL: ToolSpec = {
  name: "view_image",
  description: "Shows you an image file of the workspace (PNG, JPEG, GIF or WebP), e.g. a screenshot a test wrote.",
  parameters: {
    type: "object",
    properties: { path: { type: "string", description: "Path of the image, relative to the workspace root." } },
    required: ["path"],
    additionalProperties: false,
  },
};

export const APPLY_PATCH_TOOL: ToolSpec = {
  name: "apply_patch",
  description: [
    "Edits files with a patch. The input is the whole patch:",
    "*** Begin Patch",
    "*** Add File: <path>        (then every line of the new file prefixed with +)",
    "*** Delete File: <path>",
    "*** Update File: <path>     (optionally followed by *** Move to: <new path>)",
    "@@ <optional: a line of the file just above the change, e.g. a function signature>",
    " <context line>  /  -<removed line>  /  +<added line>   (about 3 lines of context around each change)",
    "*** End of File             (optional: anchors the hunk at the end of the file)",
    "*** End Patch",
    "Paths are relative to the workspace root.",
  ].join("\n"),
  parameters: {
    type: "object",
    properties: { input: { type: "string", description: "The patch text, from *** Begin Patch to *** End Patch." } },
    required: ["input"],
    additionalProperties: false,
  },
};

export const UPDATE_PLAN_TOOL: ToolSpec = {
  name: "update_plan",
  description: "Records your plan: a few short steps with their status. At most one step may be in_progress.",
  parameters: {
    type: "object",
    properties: {
      explanation: { type: "string" },
      plan: {
        type: "array",
        items: {
          type: "object",
          properties: {
            step: { type: "string" },
            status: { type: "string", enum: ["pending", "in_progress", "completed"] },
          },
          required: ["step", "status"],
          additionalProperties: false,
        },
      },
    },
    required: ["plan"],
    additionalProperties: false,
  },
};

/** The tools of the earlier surface (kept as AGENT_TOOLS for callers that predate surfaces). */
export const AGENT_TOOLS: ToolSpec[] = [SHELL_TOOL, APPLY_PATCH_TOOL, UPDATE_PLAN_TOOL];

const EXEC_COMMAND_TOOLS: ToolSpec[] = [EXEC_COMMAND_TOOL, WRITE_STDIN_TOOL, APPLY_PATCH_TOOL, UPDATE_PLAN_TOOL, VIEW_IMAGE_TOOL];

/** The tools offered to a model of the given surface (see model-family.ts). */
export function toolsFor(surface: ToolSurface): ToolSpec[] {
  return surface === "exec_command" ? EXEC_COMMAND_TOOLS : AGENT_TOOLS;
}
