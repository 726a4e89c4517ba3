import "server-only";

import type { ToolCall } from "../model/types";
import { StreamCaps } from "../model/stream-caps";
import { ToolInputError, parseArgs } from "./args";
import type { ToolContext, ToolOutcome } from "./context";
import { runExecCommand, runWriteStdin } from "./exec-command";
import { runApplyPatch } from "./patch";
import { runUpdatePlan } from "./plan";
import { runShell } from "./shell";
import { toolsFor } from "./specs";
import { runViewImage } from "./view-image";

export { normalizeWorkdir } from "./args";
export type { ToolContext, ToolOutcome } from "./context";
export { DEFAULT_TOOL_OUTPUT_BYTES, truncateForModel } from "./output";
export { MAX_RUNNING_SESSIONS, oneShotSessions, SessionManager } from "./sessions";
export { AGENT_TOOLS, APPLY_PATCH_TOOL, EXEC_COMMAND_TOOL, SHELL_TOOL, toolsFor, UPDATE_PLAN_TOOL, VIEW_IMAGE_TOOL, WRITE_STDIN_TOOL } from "./specs";

/** Runs one tool call. Bad input and unknown tools become an error result for the model, never an exception. */
export async function executeToolCall(call: ToolCall, ctx: ToolContext): Promise<ToolOutcome> {
  if (ctx.sessions?.failure) throw ctx.sessions.failure;
  if (call.truncated) return { output: StreamCaps.argumentsCutMessage(call.name), ok: false };
  try {
    const args = parseArgs(call);
    switch (call.name) {
      case "shell":
      case "container.exec":
        return await runShell(args, ctx);
      case "exec_command":
        return await runExecCommand(args, ctx);
      case "write_stdin":
        return await runWriteStdin(args, ctx);
      case "apply_patch":
        return await runApplyPatch(args.input, ctx);
      case "update_plan":
        return runUpdatePlan(args, ctx);
      case "view_image":
        return await runViewImage(args, ctx);
      default:
        return {
          output: `error: unknown tool ${JSON.stringify(call.name)}; the available tools are ${toolsFor(ctx.surface ?? "shell").map((t) => t.name).join(", ")}`,
          ok: false,
        };
    }
  } catch (err) {
    if (err instanceof ToolInputError) return { output: `error: invalid ${call.name} call: ${err.message}`, ok: false };
    throw err;
  }
}
