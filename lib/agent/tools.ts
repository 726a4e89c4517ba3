import "server-only";

import { applyPatch, formatPatchResult } from "./apply-patch/apply";
import type { ToolCall, ToolSpec } from "./model/types";
import type { AgentEvent, AgentMode, CommandRecord, PatchFs, PlanItem, ShellExecutor, ShellResult } from "./types";

export const DEFAULT_TOOL_OUTPUT_BYTES = 16 * 1024;

export const SHELL_TOOL: ToolSpec = {
  name: "shell",
  description:
    "Runs a command in the workspace (/workspace) and returns its exit code, duration and output. Pass argv, e.g. " +
    '["cat","src/a.js"] or ["bash","-lc","npm test 2>&1 | tail -n 50"]. There is no network access.',
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

export const APPLY_PATCH_TOOL: ToolSpec = {
  name: "apply_patch",
  description: [
    "Edits files with a patch. The input is the whole patch:",
    "*** Begin Patch",
    "*** Add File: <path>        (then every line of the new file prefixed with +)",
    "*** Delete File: <path>",
    "*** Update File: <path>     (optionally followed by *** Move to: <new path>)",
    "@@ <optional context header, e.g. a function signature>",
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

export const AGENT_TOOLS: ToolSpec[] = [SHELL_TOOL, APPLY_PATCH_TOOL, UPDATE_PLAN_TOOL];

/**
 * Keeps the head and the tail of `text` within about `maxBytes`, cutting at line boundaries where possible, with a
 * marker saying how much was left out (so line numbers of the tail can still be worked out).
 */
export function truncateForModel(text: string, maxBytes = DEFAULT_TOOL_OUTPUT_BYTES): string {
  const total = Buffer.byteLength(text, "utf8");
  if (total <= maxBytes) return text;
  const half = Math.floor(maxBytes / 2);
  const buf = Buffer.from(text, "utf8");
  let headEnd = half;
  const nlHead = buf.lastIndexOf(0x0a, half - 1);
  if (nlHead > half / 2) headEnd = nlHead + 1;
  let tailStart = total - half;
  const nlTail = buf.indexOf(0x0a, tailStart);
  if (nlTail >= 0 && nlTail < total - half / 2) tailStart = nlTail + 1;
  // Avoid splitting a UTF-8 sequence.
  while (headEnd > 0 && (buf[headEnd] & 0xc0) === 0x80) headEnd--;
  while (tailStart < total && (buf[tailStart] & 0xc0) === 0x80) tailStart++;
  const head = buf.subarray(0, headEnd).toString("utf8");
  const omitted = buf.subarray(headEnd, tailStart);
  const tail = buf.subarray(tailStart).toString("utf8");
  let omittedLines = 0;
  for (const b of omitted) if (b === 0x0a) omittedLines++;
  const marker = `… ${omitted.length} bytes omitted (${omittedLines} lines) …`;
  return `${head}${head.endsWith("\n") ? "" : "\n"}${marker}\n${tail}`;
}

export type ToolContext = {
  mode: AgentMode;
  exec: ShellExecutor;
  fs: PatchFs | null;
  /** Default and cap for a command's timeout. */
  commandTimeoutMs: number;
  maxToolOutputBytes?: number;
  signal: AbortSignal;
  emit: (e: AgentEvent) => void;
  /** Allocates the next command's ids (`chunkId` is what the model cites). */
  nextCommand: () => { commandId: string; chunkId: string };
  commands: CommandRecord[];
};

export type ToolOutcome = { output: string; ok: boolean };

class ToolInputError extends Error {}

function parseArgs(call: ToolCall): Record<string, unknown> {
  let args: unknown;
  try {
    args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch (err) {
    throw new ToolInputError(`the arguments are not valid JSON (${(err as Error).message}); send a JSON object`);
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) throw new ToolInputError("the arguments must be a JSON object");
  return args as Record<string, unknown>;
}

/** Maps the model's workdir to a workspace-relative directory. */
export function normalizeWorkdir(workdir: unknown): string | undefined {
  if (workdir === undefined || workdir === null || workdir === "") return undefined;
  if (typeof workdir !== "string") throw new ToolInputError("workdir must be a string");
  let p = workdir.trim().replace(/\/+$/, "");
  if (p === "/workspace" || p === "." || p === "") return undefined;
  if (p.startsWith("/workspace/")) p = p.slice("/workspace/".length);
  if (p.startsWith("/")) throw new ToolInputError(`workdir ${JSON.stringify(workdir)} is outside the workspace (/workspace)`);
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw new ToolInputError(`workdir ${JSON.stringify(workdir)} escapes the workspace`);
  return parts.length ? parts.join("/") : undefined;
}

function parseArgv(command: unknown): string[] {
  if (typeof command === "string" && command.trim()) return ["bash", "-lc", command];
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === "string")) {
    throw new ToolInputError('command must be a non-empty array of strings (argv), e.g. ["ls","-la"]');
  }
  return command as string[];
}

/** A patch sent through the shell (`apply_patch '<patch>'` or a bash heredoc), as Codex models sometimes do. */
function patchFromArgv(argv: string[]): string | null {
  if ((argv[0] === "apply_patch" || argv[0] === "applypatch") && argv.length === 2) return argv[1];
  if (argv.length === 3 && (argv[0] === "bash" || argv[0] === "sh") && /^-l?c$/.test(argv[1])) {
    const script = argv[2].trim();
    if (/^(apply_patch|applypatch)\s+<</.test(script)) return script;
  }
  return null;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

async function runShell(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const argv = parseArgv(args.command);
  const patch = patchFromArgv(argv);
  if (patch !== null) return runApplyPatch({ input: patch }, ctx);
  const cwd = normalizeWorkdir(args.workdir);
  let timeoutMs = ctx.commandTimeoutMs;
  if (args.timeout_ms !== undefined) {
    if (typeof args.timeout_ms !== "number" || !Number.isFinite(args.timeout_ms) || args.timeout_ms <= 0) {
      throw new ToolInputError("timeout_ms must be a positive number");
    }
    timeoutMs = Math.min(Math.floor(args.timeout_ms), ctx.commandTimeoutMs);
  }
  const { commandId, chunkId } = ctx.nextCommand();
  ctx.emit({ type: "command_start", commandId, chunkId, argv, cwd: cwd ?? "" });
  // Interleaved stdout+stderr in arrival order: the same text, with the same line numbers, as the log chunk.
  let combined = "";
  let streamed = false;
  const started = Date.now();
  let result: ShellResult;
  try {
    result = await ctx.exec({
      argv,
      cwd,
      timeoutMs,
      signal: ctx.signal,
      onOutput: (stream, text) => {
        streamed = true;
        combined += text;
        ctx.emit({ type: "output", commandId, chunkId, stream, text });
      },
    });
  } catch (err) {
    // The sandbox itself failed (not the command): close the log chunk, then let the loop fail the run.
    const durationMs = Date.now() - started;
    ctx.emit({ type: "command_end", commandId, chunkId, exitCode: null, durationMs, timedOut: false, truncated: false });
    ctx.commands.push({ argv, exitCode: null, durationMs, chunkId });
    throw err;
  }
  if (!streamed) {
    combined = result.stdout + (result.stderr ? (result.stdout && !result.stdout.endsWith("\n") ? "\n" : "") + result.stderr : "");
    if (result.stdout) ctx.emit({ type: "output", commandId, chunkId, stream: "stdout", text: result.stdout });
    if (result.stderr) ctx.emit({ type: "output", commandId, chunkId, stream: "stderr", text: result.stderr });
  }
  ctx.emit({
    type: "command_end",
    commandId,
    chunkId,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
    truncated: result.truncated,
  });
  ctx.commands.push({ argv, exitCode: result.exitCode, durationMs: result.durationMs, chunkId });

  const status = result.cancelled
    ? "cancelled"
    : result.timedOut
      ? `timed out after ${formatDuration(timeoutMs)}`
      : String(result.exitCode);
  const lines = [
    `chunk_id: ${chunkId}`,
    `exit_code: ${status}`,
    `duration: ${formatDuration(result.durationMs)}`,
    ...(result.truncated ? ["note: the sandbox capped this command's output; the end is missing"] : []),
    "output:",
    truncateForModel(combined, ctx.maxToolOutputBytes),
  ];
  return { output: lines.join("\n"), ok: result.exitCode === 0 };
}

async function runApplyPatch(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  if (ctx.mode === "ask" || ctx.fs === null) {
    return { output: "error: apply_patch is not available: this is a read-only task (Ask mode); do not modify files.", ok: false };
  }
  if (typeof args.input !== "string") throw new ToolInputError("input must be a string holding the patch text");
  const result = await applyPatch(args.input, ctx.fs);
  ctx.emit({ type: "patch", changed: result.changed, failures: result.failures });
  return { output: formatPatchResult(result), ok: result.failures.length === 0 };
}

function runUpdatePlan(args: Record<string, unknown>, ctx: ToolContext): ToolOutcome {
  if (!Array.isArray(args.plan)) throw new ToolInputError("plan must be an array of {step, status}");
  const plan: PlanItem[] = [];
  for (const item of args.plan as unknown[]) {
    const it = item as { step?: unknown; status?: unknown } | null;
    if (!it || typeof it.step !== "string" || !["pending", "in_progress", "completed"].includes(it.status as string)) {
      throw new ToolInputError('each plan item must be {"step": string, "status": "pending" | "in_progress" | "completed"}');
    }
    plan.push({ step: it.step, status: it.status as PlanItem["status"] });
  }
  if (plan.filter((p) => p.status === "in_progress").length > 1) throw new ToolInputError("at most one step can be in_progress");
  if (args.explanation !== undefined && typeof args.explanation !== "string") throw new ToolInputError("explanation must be a string");
  const explanation = args.explanation as string | undefined;
  ctx.emit({ type: "plan", ...(explanation ? { explanation } : {}), plan });
  return { output: "Plan updated.", ok: true };
}

/** Runs one tool call. Bad input and unknown tools become an error result for the model, never an exception. */
export async function executeToolCall(call: ToolCall, ctx: ToolContext): Promise<ToolOutcome> {
  try {
    const args = parseArgs(call);
    switch (call.name) {
      case "shell":
      case "container.exec":
        return await runShell(args, ctx);
      case "apply_patch":
        return await runApplyPatch(args, ctx);
      case "update_plan":
        return runUpdatePlan(args, ctx);
      default:
        return {
          output: `error: unknown tool ${JSON.stringify(call.name)}; the available tools are ${AGENT_TOOLS.map((t) => t.name).join(", ")}`,
          ok: false,
        };
    }
  } catch (err) {
    if (err instanceof ToolInputError) return { output: `error: invalid ${call.name} call: ${err.message}`, ok: false };
    throw err;
  }
}
