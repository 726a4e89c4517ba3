import "server-only";

import { ToolInputError, normalizeWorkdir, optionalNumber } from "./args";
import type { ToolContext, ToolOutcome } from "./context";
import { formatDuration, outputBytes, truncateForModel } from "./output";
import { runShellPatch } from "./patch";
import { MAX_RUNNING_SESSIONS, oneShotSessions, SessionManager, type Session } from "./sessions";
import { exitStatus } from "./shell";

/** Yield times as Codex uses them: exec_command waits 10 s by default, write_stdin 250 ms (5 s when only polling). */
const EXEC_YIELD_MS = 10_000;
const WRITE_YIELD_MS = 250;
const POLL_MIN_YIELD_MS = 5_000;
const MIN_YIELD_MS = 250;
const MAX_YIELD_MS = 30_000;
const CTRL_C = "\u0003";

function sessionsOf(ctx: ToolContext): SessionManager {
  ctx.sessions ??= new SessionManager({
    start: oneShotSessions(ctx.exec),
    emit: ctx.emit,
    commands: ctx.commands,
    nextCommand: ctx.nextCommand,
    timeoutMs: ctx.commandTimeoutMs,
    signal: ctx.signal,
  });
  return ctx.sessions;
}

function optionalTokens(args: Record<string, unknown>): number | undefined {
  return args.max_output_tokens === undefined || args.max_output_tokens === null
    ? undefined
    : optionalNumber(args, "max_output_tokens", 0, 1, Number.MAX_SAFE_INTEGER);
}

/** What the model gets back from exec_command and write_stdin: the new output, and the session while it runs. */
function report(s: Session, ctx: ToolContext, maxTokens: number | undefined, notes: string[]): ToolOutcome {
  const sessions = sessionsOf(ctx);
  const { text, fromLine } = sessions.take(s);
  const running = s.result === null;
  const lines = [`chunk_id: ${s.chunkId}`];
  if (running) lines.push(`session_id: ${s.id}`, "exit_code: none yet (still running; call write_stdin with this session_id to wait for more output or to type input)");
  else lines.push(`exit_code: ${exitStatus(s.result!, ctx.commandTimeoutMs)}`);
  lines.push(`wall_time: ${formatDuration(Date.now() - s.started)}`);
  if (!running && s.result!.truncated) lines.push("note: the sandbox capped this command's output; the end is missing");
  if (s.dropped) lines.push("note: the command printed more than the agent keeps; later output is only in the log");
  lines.push(...notes.map((n) => `note: ${n}`));
  lines.push(fromLine > 1 ? `output (continues at line ${fromLine} of ${s.chunkId}):` : "output:");
  lines.push(truncateForModel(text, outputBytes(maxTokens, ctx.maxToolOutputBytes)));
  sessions.release(s);
  return { output: lines.join("\n"), ok: running || s.result!.exitCode === 0 };
}

/** `exec_command`: a command string, returning after it exits or after yield_time_ms with a session to continue. */
export async function runExecCommand(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const cmd = typeof args.cmd === "string" ? args.cmd : typeof args.command === "string" ? args.command : undefined;
  if (cmd === undefined || cmd.trim() === "") throw new ToolInputError('cmd must be the command to run as a string, e.g. {"cmd": "npm test"}');
  if (args.shell !== undefined && typeof args.shell !== "string") throw new ToolInputError("shell must be a string, e.g. bash");
  if (args.tty !== undefined && typeof args.tty !== "boolean") throw new ToolInputError("tty must be true or false");
  const shell = typeof args.shell === "string" && args.shell.trim() ? args.shell.trim() : "bash";
  const argv = [shell, args.login === false ? "-c" : "-lc", cmd];
  const cwd = normalizeWorkdir(args.workdir);
  const yieldMs = optionalNumber(args, "yield_time_ms", EXEC_YIELD_MS, MIN_YIELD_MS, MAX_YIELD_MS);
  const maxTokens = optionalTokens(args);

  const patched = await runShellPatch(argv, cwd, ctx);
  if (patched) return patched;
  if (cwd) ctx.noteDirectory?.(cwd);

  const sessions = sessionsOf(ctx);
  const running = sessions.running();
  if (running.length >= MAX_RUNNING_SESSIONS) {
    return {
      output:
        `error: ${running.length} commands are still running (session_id ${running.map((s) => s.id).join(", ")}); ` +
        'stop one with write_stdin {"session_id": N, "chars": "\\u0003"} or wait for it to finish before starting another',
      ok: false,
    };
  }
  const tty = args.tty === true;
  const s = await sessions.start({ argv, cwd, tty });
  await sessions.waitFor(s, yieldMs);
  const notes = tty && !s.running.tty ? ["no terminal is available here: the command runs without one"] : [];
  return report(s, ctx, maxTokens, notes);
}

/** `write_stdin`: types into a running session (or only polls it) and returns what it printed since. */
export async function runWriteStdin(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const id = args.session_id;
  if (typeof id !== "number" || !Number.isInteger(id)) throw new ToolInputError("session_id must be the number exec_command returned");
  if (args.chars !== undefined && typeof args.chars !== "string") throw new ToolInputError("chars must be a string");
  const chars = (args.chars as string | undefined) ?? "";
  const sessions = sessionsOf(ctx);
  const s = sessions.get(id);
  if (!s) {
    const ended = sessions.finishedAs(id);
    if (ended) {
      return {
        output: `error: session ${id} already finished ${ended}, and its whole output was returned earlier; run a new command with exec_command`,
        ok: false,
      };
    }
    const live = sessions.running().map((r) => r.id);
    return {
      output: `error: there is no session ${id}${live.length ? ` (running: ${live.join(", ")})` : " (no command is running)"}; it may have finished and been reported already`,
      ok: false,
    };
  }
  const maxTokens = optionalTokens(args);
  const notes: string[] = [];
  if (chars !== "" && s.result === null) {
    if (s.running.stdin) {
      await s.running.write(chars);
      ctx.activity?.({ type: "command_input", commandId: s.commandId, chunkId: s.chunkId, text: chars });
    } else if (chars.includes(CTRL_C)) {
      s.running.kill();
      notes.push("the command was stopped (Ctrl-C)");
    } else {
      notes.push(
        "the input was not delivered: this sandbox runs commands without a connected stdin. Stop the command " +
          '(chars "\\u0003") and run it non-interactively instead: pipe the input in, use a heredoc, or pass --yes style flags',
      );
    }
  } else if (chars !== "") {
    notes.push("the command had already ended; the input was not delivered");
  }
  const fallback = chars === "" ? POLL_MIN_YIELD_MS : WRITE_YIELD_MS;
  let yieldMs = optionalNumber(args, "yield_time_ms", fallback, MIN_YIELD_MS, MAX_YIELD_MS);
  // Polling with no input waits at least a few seconds, so that a model checking on a build does not spin.
  if (chars === "") yieldMs = Math.max(yieldMs, POLL_MIN_YIELD_MS);
  await sessions.waitFor(s, yieldMs);
  return report(s, ctx, maxTokens, notes);
}
