import "server-only";

import type { ShellResult } from "../types";
import { ToolInputError, normalizeWorkdir, parseArgv } from "./args";
import type { ToolContext, ToolOutcome } from "./context";
import { formatDuration, truncateForModel } from "./output";
import { runShellPatch } from "./patch";

/** The `shell` tool: one command (argv) run to completion in the sandbox. */
export async function runShell(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const argv = parseArgv(args.command);
  const cwd = normalizeWorkdir(args.workdir);
  const patched = await runShellPatch(argv, cwd, ctx);
  if (patched) return patched;
  if (cwd) ctx.noteDirectory?.(cwd);
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

  const lines = [
    `chunk_id: ${chunkId}`,
    `exit_code: ${exitStatus(result, timeoutMs)}`,
    `duration: ${formatDuration(result.durationMs)}`,
    ...(result.truncated ? ["note: the sandbox capped this command's output; the end is missing"] : []),
    "output:",
    truncateForModel(combined, ctx.maxToolOutputBytes),
  ];
  return { output: lines.join("\n"), ok: result.exitCode === 0 };
}

export function exitStatus(result: ShellResult, timeoutMs: number): string {
  if (result.cancelled) return "cancelled";
  if (result.timedOut) return `timed out after ${formatDuration(timeoutMs)}`;
  return String(result.exitCode);
}
