import "server-only";

import { readFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";

import { ARGS_FD } from "./bwrap-args";

import { SandboxError, SandboxUnavailableError } from "./errors";
import { CappedOutput } from "./output";
import { spawnStreaming } from "./spawner";
import type { ExecResult, OutputStream } from "./types";

/** Grace between SIGTERM and SIGKILL on cancellation. */
export const CANCEL_GRACE_MS = 300;
/** After SIGKILL of the sandbox's pid 1, how long before we also kill bwrap itself. */
const KILL_FALLBACK_MS = 500;
/** After bwrap exited, how long to wait for its pipes to close before giving up on them. */
const CLOSE_GRACE_MS = 2_000;
/** When bwrap itself had to be killed: how long to wait for the orphaned sandbox pid 1 to finish dying. */
const ORPHAN_WAIT_MS = 5_000;

/** The child's fd on which bwrap writes its JSON status (`--json-status-fd`). */
export const STATUS_FD = 3;

export type RunOptions = {
  file: string;
  /** Must make bwrap report its status on STATUS_FD. */
  args: string[];
  /** Environment of the host-side wrapper processes (setpriv/bwrap), never the server's own. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  stdin?: string;
  /** Keep stdin open for write() (an interactive session) instead of /dev/null or a fixed string. */
  interactive?: boolean;
  onOutput?: (stream: OutputStream, chunk: string) => void;
  maxOutputBytes: number;
  /** Written to the child's fd ARGS_FD (bwrap's `--args`), then closed. */
  argsData?: Buffer;
  /** Raw stdout goes here, at most maxStdoutBytes (more kills the command). */
  stdoutSink?: NodeJS.WritableStream;
  maxStdoutBytes?: number;
};

export type RunningProcess = {
  result: Promise<ExecResult>;
  /** Kill everything now (used by destroy()). */
  kill(): void;
  /** Writes to the command's stdin (interactive runs only; resolves once the data is handed to the pipe). */
  write(chars: string): Promise<void>;
  /** Stop as on cancel: SIGTERM to the command, SIGKILL after a grace. */
  terminate(): void;
};

function emptyResult(cancelled: boolean): ExecResult {
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled,
    durationMs: 0,
    stdout: "",
    stderr: "",
    outputBytes: 0,
    truncated: false,
  };
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * Run a bwrap command line and kill it on timeout/cancel.
 *
 * Process layout: bwrap (spawned detached: its own process group) → the sandbox's pid 1 (host pid learned from
 * bwrap's JSON status; a new session, so its own process group) → the command. With `--as-pid-1` the outer bwrap
 * waitpid()s for that pid 1, and the kernel kills every process of a pid namespace before its pid 1 is reaped: so
 * when bwrap has exited, nothing of the command is left. Killing therefore targets the sandbox's pid 1 (bwrap then
 * exits by itself); killing bwrap's own group is only the fallback (--die-with-parent then SIGKILLs pid 1).
 */
export function runProcess(opts: RunOptions): RunningProcess {
  if (opts.signal?.aborted) return { result: Promise.resolve(emptyResult(true)), kill: () => {}, write: async () => {}, terminate: () => {} };
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
    throw new SandboxError(`timeoutMs must be a positive number, got ${String(opts.timeoutMs)}`);
  }

  const started = performance.now();
  // Started by the command helper process (./spawner): a fork of this big process per command blocked its thread.
  const child = spawnStreaming(opts.file, opts.args, {
    env: opts.env,
    stdio: [opts.stdin === undefined && !opts.interactive ? "ignore" : "pipe", "pipe", "pipe", "pipe", opts.argsData ? "pipe" : "ignore"],
    readable: [1, 2, STATUS_FD],
  });
  const argsPipe = child.stdio[ARGS_FD] as Writable | null;
  if (argsPipe && opts.argsData) {
    argsPipe.on("error", () => {});
    argsPipe.end(opts.argsData);
  }

  let exited = false;
  let sandboxPid: number | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  let bwrapKilled = false;
  const killBwrap = () => {
    if (exited) return;
    bwrapKilled = true;
    child.kill("SIGKILL", { group: true });
  };
  const killAll = () => {
    if (exited) return;
    if (sandboxPid !== undefined) {
      signalPid(sandboxPid, "SIGKILL");
      later(KILL_FALLBACK_MS, killBwrap);
    } else {
      killBwrap();
    }
  };
  const terminate = () => {
    if (exited) return;
    // SIGTERM to the sandbox's process group: the command (pid 1 itself ignores it, being an init without handler).
    if (sandboxPid !== undefined) signalPid(-sandboxPid, "SIGTERM");
    later(CANCEL_GRACE_MS, killAll);
  };

  const status = child.stdio[STATUS_FD] as Readable | null;
  let statusText = "";
  status?.on("data", (chunk: Buffer) => {
    if (sandboxPid !== undefined || statusText.length > 4096) return;
    statusText += chunk.toString("utf8");
    const match = /"child-pid"\s*:\s*(\d+)/.exec(statusText);
    if (match) sandboxPid = Number(match[1]);
  });
  status?.on("error", () => {});

  const result = new Promise<ExecResult>((resolve, reject) => {
    let timedOut = false;
    let cancelled = false;
    let settled = false;

    const emit = (stream: OutputStream, text: string) => {
      try {
        opts.onOutput?.(stream, text);
      } catch {
        // A failing listener must not crash the server from inside a stream event; the result still has the text.
      }
    };
    const out = new CappedOutput(opts.maxOutputBytes, (text) => emit("stdout", text));
    const err = new CappedOutput(opts.maxOutputBytes, (text) => emit("stderr", text));
    const wire = (stream: Readable | null, sink: CappedOutput) => {
      stream?.on("data", (chunk: Buffer) => sink.push(chunk));
      stream?.on("error", () => {});
    };
    let stdoutOverflow = false;
    if (opts.stdoutSink) {
      const sink = opts.stdoutSink;
      let sent = 0;
      const max = opts.maxStdoutBytes ?? Number.POSITIVE_INFINITY;
      child.stdout?.on("data", (chunk: Buffer) => {
        sent += chunk.length;
        if (sent > max) {
          if (!stdoutOverflow) killAll();
          stdoutOverflow = true;
          return;
        }
        // Backpressure: stop reading the sandbox while the consumer (e.g. git index-pack) catches up.
        if (!sink.write(chunk)) {
          child.stdout?.pause();
          sink.once("drain", () => child.stdout?.resume());
        }
      });
      child.stdout?.on("end", () => sink.end());
      child.stdout?.on("error", () => {});
    } else {
      wire(child.stdout, out);
    }
    wire(child.stderr, err);

    if (child.stdin && opts.interactive) {
      child.stdin.on("error", () => {}); // EPIPE once the command is gone
    } else if (child.stdin && opts.stdin !== undefined) {
      child.stdin.on("error", () => {}); // EPIPE when the command does not read its input
      child.stdin.end(opts.stdin);
    }

    later(opts.timeoutMs, () => {
      if (exited) return;
      timedOut = true;
      killAll();
    });

    const onAbort = () => {
      if (exited || timedOut) return;
      cancelled = true;
      terminate();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const cleanup = () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      opts.signal?.removeEventListener("abort", onAbort);
    };

    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({
        // bwrap reports a killed pid 1 as 128+n; when we killed it, say so instead.
        exitCode: timedOut || cancelled ? null : code,
        signal: sig ?? (timedOut || cancelled ? signalFromExit(code) : null),
        timedOut,
        cancelled,
        durationMs: performance.now() - started,
        stdout: out.end(),
        stderr: err.end(),
        outputBytes: out.totalBytes + err.totalBytes,
        truncated: out.truncated || err.truncated,
        ...(stdoutOverflow ? { stdoutOverflow } : {}),
      });
    };

    // Normally bwrap reaped the sandbox's pid 1, so the namespace is gone. If we had to kill bwrap itself, pid 1
    // (SIGKILLed by --die-with-parent) may still be tearing the namespace down: wait until it is dead.
    const done = (code: number | null, sig: NodeJS.Signals | null) => {
      if (bwrapKilled && sandboxPid !== undefined) void waitForDeath(sandboxPid, ORPHAN_WAIT_MS).then(() => finish(code, sig));
      else finish(code, sig);
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      exited = true;
      cleanup();
      if (error.code === "ENOENT") {
        reject(
          new SandboxUnavailableError(
            `${opts.file} not found: install bubblewrap and util-linux (\`apt-get install bubblewrap\`)`,
            { cause: error },
          ),
        );
      } else {
        reject(new SandboxError(`could not start the sandbox: ${error.message}`, { cause: error }));
      }
    });
    child.on("exit", (code, sig) => {
      exited = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // 'close' normally follows at once; nothing inside the sandbox outlives bwrap, so never hang on a pipe.
      later(CLOSE_GRACE_MS, () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        status?.destroy();
        done(code, sig);
      });
    });
    child.on("close", (code, sig) => done(code, sig));
  });

  const write = (chars: string) =>
    new Promise<void>((resolve) => {
      const stdin = child.stdin;
      if (!opts.interactive || !stdin || stdin.destroyed || exited) return resolve();
      stdin.write(chars, () => resolve());
    });
  return { result, kill: killAll, write, terminate };
}

/** Resolves once `pid` no longer exists or is a zombie (the kernel has killed its whole pid namespace by then). */
async function waitForDeath(pid: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
    if (stat === null) return;
    // Field 3, after the parenthesized command name (which may itself contain ") ").
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function signalFromExit(code: number | null): NodeJS.Signals | null {
  if (code === 128 + 9) return "SIGKILL";
  if (code === 128 + 15) return "SIGTERM";
  return null;
}
