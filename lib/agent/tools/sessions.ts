import "server-only";

import type { AgentEvent, CommandRecord, RunningCommand, SessionExecutor, ShellExecutor, ShellResult } from "../types";

/** Commands of one run that may be running at once; more is refused with a message saying which to stop. */
export const MAX_RUNNING_SESSIONS = 8;
/** Output of one session kept for the model (the log gets all of it); the sandbox caps what a command may print. */
const SESSION_BUFFER_CHARS = 2 * 1024 * 1024;

/**
 * Sessions on the one-shot executor: the command runs to completion in the background while the agent goes on, and
 * its output is collected as it comes. Its stdin is not connected (the sandbox exec takes no live input) and it has
 * no terminal; write_stdin can still poll it, or stop it with Ctrl-C.
 */
export function oneShotSessions(exec: ShellExecutor): SessionExecutor {
  return (req) => {
    const controller = new AbortController();
    const signal = req.signal ? AbortSignal.any([req.signal, controller.signal]) : controller.signal;
    const result = exec({ argv: req.argv, cwd: req.cwd, timeoutMs: req.timeoutMs, signal, onOutput: req.onOutput });
    return {
      stdin: false,
      tty: false,
      write: () => Promise.reject(new Error("stdin is not connected")),
      kill: () => controller.abort(),
      result,
    };
  };
}

export type Session = {
  id: number;
  commandId: string;
  chunkId: string;
  argv: string[];
  running: RunningCommand;
  started: number;
  /** Everything the command printed (stdout and stderr interleaved), up to SESSION_BUFFER_CHARS. */
  output: string;
  dropped: boolean;
  /** Characters of `output` already returned to the model, and the lines they held. */
  delivered: number;
  deliveredLines: number;
  result: ShellResult | null;
  /** Settles when the command ended and its command_end was emitted. */
  ended: Promise<void>;
};

type Deps = {
  start: SessionExecutor;
  emit: (e: AgentEvent) => void;
  commands: CommandRecord[];
  nextCommand: () => { commandId: string; chunkId: string };
  timeoutMs: number;
  signal: AbortSignal;
};

/** The exec_command sessions of one run: started, polled, written to, and all stopped when the run ends. */
export class SessionManager {
  private readonly sessions = new Map<number, Session>();
  /** Exit status of sessions already released, so that a late write_stdin gets a precise answer. */
  private readonly finished = new Map<number, string>();
  private nextId = 1;
  /** A sandbox failure of a command that was running in the background; the next tool call fails the run with it. */
  failure: unknown = null;

  constructor(private readonly deps: Deps) {}

  running(): Session[] {
    return [...this.sessions.values()].filter((s) => s.result === null);
  }

  get(id: number): Session | undefined {
    return this.sessions.get(id);
  }

  /** Forgets a session once it ended and the model has seen all of its output. */
  release(s: Session): void {
    if (s.result !== null && s.delivered >= s.output.length) {
      this.sessions.delete(s.id);
      this.finished.set(s.id, s.result.exitCode === null ? "without an exit code" : `with exit code ${s.result.exitCode}`);
    }
  }

  /** How a released session ended ("with exit code 0"), or undefined for an id never seen. */
  finishedAs(id: number): string | undefined {
    return this.finished.get(id);
  }

  async start(req: { argv: string[]; cwd?: string; tty: boolean }): Promise<Session> {
    const { commandId, chunkId } = this.deps.nextCommand();
    const id = this.nextId++;
    this.deps.emit({ type: "command_start", commandId, chunkId, argv: req.argv, cwd: req.cwd ?? "", sessionId: id });
    const session: Session = {
      id,
      commandId,
      chunkId,
      argv: req.argv,
      running: undefined as unknown as RunningCommand,
      started: Date.now(),
      output: "",
      dropped: false,
      delivered: 0,
      deliveredLines: 0,
      result: null,
      ended: Promise.resolve(),
    };
    const onOutput = (stream: "stdout" | "stderr", text: string) => {
      if (session.output.length < SESSION_BUFFER_CHARS) session.output += text.slice(0, SESSION_BUFFER_CHARS - session.output.length);
      if (session.output.length >= SESSION_BUFFER_CHARS) session.dropped = true;
      this.deps.emit({ type: "output", commandId, chunkId, stream, text });
    };
    let running: RunningCommand;
    try {
      running = await this.deps.start({ argv: req.argv, cwd: req.cwd, timeoutMs: this.deps.timeoutMs, tty: req.tty, signal: this.deps.signal, onOutput });
    } catch (err) {
      this.end(session, null);
      throw err;
    }
    session.running = running;
    this.sessions.set(id, session);
    session.ended = running.result.then(
      (result) => this.end(session, result),
      (err: unknown) => {
        this.end(session, null);
        this.failure ??= err ?? new Error("the sandbox failed");
      },
    );
    return session;
  }

  private end(s: Session, result: ShellResult | null): void {
    if (s.result !== null) return; // already closed (closeAll gave up waiting for it)
    const durationMs = result?.durationMs ?? Date.now() - s.started;
    s.result = result ?? { exitCode: null, timedOut: false, cancelled: false, durationMs, stdout: "", stderr: "", truncated: false };
    this.deps.emit({
      type: "command_end",
      commandId: s.commandId,
      chunkId: s.chunkId,
      exitCode: s.result.exitCode,
      durationMs,
      timedOut: s.result.timedOut,
      truncated: s.result.truncated,
    });
    this.deps.commands.push({ argv: s.argv, exitCode: s.result.exitCode, durationMs, chunkId: s.chunkId });
  }

  /** Waits until the command ends or `ms` pass (the yield time), whichever is first; the run's cancel ends it too. */
  async waitFor(s: Session, ms: number): Promise<void> {
    if (s.result !== null) return;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      s.ended,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        onAbort = () => resolve();
        this.deps.signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) this.deps.signal.removeEventListener("abort", onAbort);
  }

  /** The output printed since the last call, and the line of the chunk it starts at (1-based). */
  take(s: Session): { text: string; fromLine: number } {
    const text = s.output.slice(s.delivered);
    const fromLine = s.deliveredLines + 1;
    s.delivered = s.output.length;
    for (const c of text) if (c === "\n") s.deliveredLines++;
    return { text, fromLine };
  }

  /** Stops every running command and waits for them to end (bounded), so that none outlives the run. */
  async closeAll(graceMs = 5_000): Promise<void> {
    const running = this.running();
    for (const s of running) s.running.kill();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((s) => s.ended)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    // A command that did not report its end in time is closed in the log all the same.
    for (const s of running) if (s.result === null) this.end(s, null);
  }
}
