import "server-only";

import type { Readable, Writable } from "node:stream";

import { HOST_TOOL_PATH } from "./bwrap-args";
import { HostCommandError, type HostCommandResult } from "./host-command-error";
import { spawnStreaming, type RemoteChild } from "./spawner";

/**
 * Host-side helper processes (git, mount, chown, getent …). Each runs in a process group of its own, and a timeout
 * kills the whole group with SIGKILL: a git that spawned git-remote-https, pack-objects or a credential helper
 * leaves no orphan behind. Output is capped while read, so a runaway helper cannot grow the server's memory.
 */

export type HostCommandOptions = {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Written to stdin, then closed. Without input or stdinStream stdin is /dev/null. */
  input?: string | Buffer;
  /** Piped to stdin (e.g. a pack produced by another process). */
  stdinStream?: Readable;
  /** Raw stdout goes here instead of being collected (stdout in the result is then ""). */
  stdoutSink?: Writable;
  /** Largest stdout/stderr kept, in bytes; more fails the command (like execFile's maxBuffer). Default 64 MiB. */
  maxBuffer?: number;
};

export { HostCommandError, type HostCommandResult } from "./host-command-error";

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

function killGroup(child: RemoteChild): void {
  child.kill("SIGKILL", { group: true });
}

/** Runs a host command; resolves with its outcome whatever the exit code (rejects only when it cannot start). */
export function runHostCommand(file: string, args: string[], opts: HostCommandOptions = {}): Promise<HostCommandResult> {
  const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
  return new Promise((resolve, reject) => {
    // Started by the command helper process (./spawner): forking this (big) process per command blocked its thread.
    const child = spawnStreaming(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? ({ PATH: HOST_TOOL_PATH } as unknown as NodeJS.ProcessEnv),
      stdio: [opts.input !== undefined || opts.stdinStream ? "pipe" : "ignore", "pipe", "pipe"],
      readable: [1, 2],
    });
    // stdout and stderr are always pipes (see stdio above).
    const stdout = child.stdout as Readable;
    const stderr = child.stderr as Readable;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let overflow = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    if (opts.stdoutSink) {
      stdout.pipe(opts.stdoutSink);
    } else {
      stdout.on("data", (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > maxBuffer) {
          overflow = true;
          killGroup(child);
        } else out.push(chunk);
      });
    }
    stderr.on("data", (chunk: Buffer) => {
      errBytes += chunk.length;
      if (errBytes > maxBuffer) {
        overflow = true;
        killGroup(child);
      } else err.push(chunk);
    });
    if (child.stdin) {
      child.stdin.on("error", () => {}); // EPIPE when the command does not read all of its input
      if (opts.stdinStream) {
        opts.stdinStream.on("error", () => child.stdin?.destroy());
        opts.stdinStream.pipe(child.stdin);
      } else child.stdin.end(opts.input);
    }
    child.on("error", (error: Error) => {
      clearTimeout(timer);
      reject(new HostCommandError(`could not start ${file}: ${error.message}`, null, { cause: error }));
    });
    // The helper is done when it exits: whatever it left running in its group (holding our pipes open) goes too.
    child.on("exit", () => killGroup(child));
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        timedOut,
        overflow,
      });
    });
  });
}

/** runHostCommand that rejects unless the command exited 0. */
export async function runHostCommandOk(file: string, args: string[], opts: HostCommandOptions = {}): Promise<HostCommandResult> {
  const result = await runHostCommand(file, args, opts);
  if (result.code !== 0) {
    const why = result.timedOut
      ? `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
      : result.overflow
        ? "printed more output than allowed"
        : `exit ${result.code ?? result.signal}`;
    throw new HostCommandError(`${file} ${args[0] ?? ""} failed (${why}): ${result.stderr.trim().split("\n").slice(-3).join(" ")}`, result);
  }
  return result;
}
