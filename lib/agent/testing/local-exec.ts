import "server-only";

import { spawn } from "node:child_process";
import path from "node:path";

import type { RunningCommand, SessionExecutor, ShellExecutor, ShellResult } from "../types";

/**
 * TEST ONLY: runs commands with child_process directly in `root`, without any sandbox. The real executor is the
 * sandbox's; this one lets the agent loop be tested against a temp directory.
 */
export function createLocalExecutor(root: string, opts: { maxOutputBytes?: number } = {}): ShellExecutor {
  const cap = opts.maxOutputBytes ?? 1024 * 1024;
  return ({ argv, cwd, timeoutMs, signal, onOutput }) =>
    new Promise((resolve) => {
      const started = Date.now();
      let stdout = "";
      let stderr = "";
      let bytes = 0;
      let truncated = false;
      let timedOut = false;
      let cancelled = false;
      const finish = (exitCode: number | null) =>
        resolve({ exitCode, timedOut, cancelled, durationMs: Date.now() - started, stdout, stderr, truncated });
      if (signal?.aborted) {
        cancelled = true;
        finish(null);
        return;
      }
      const child = spawn(argv[0], argv.slice(1), {
        cwd: cwd ? path.join(root, cwd) : root,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        // A fixed, minimal environment (node's own directory first, so tests can run `node`).
        env: { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: root, LANG: "C.UTF-8" } as unknown as NodeJS.ProcessEnv,
      });
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs);
      const onAbort = () => {
        cancelled = true;
        kill();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const take = (stream: "stdout" | "stderr") => (buf: Buffer) => {
        if (bytes >= cap) {
          truncated = true;
          return;
        }
        const text = buf.subarray(0, cap - bytes).toString("utf8");
        if (buf.length > cap - bytes) truncated = true;
        bytes += buf.length;
        if (stream === "stdout") stdout += text;
        else stderr += text;
        onOutput?.(stream, text);
      };
      child.stdout.on("data", take("stdout"));
      child.stderr.on("data", take("stderr"));
      child.on("error", (err) => {
        stderr += `${err.message}\n`;
        onOutput?.("stderr", `${err.message}\n`);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        finish(timedOut || cancelled ? null : code ?? 127);
      });
    });
}

/**
 * TEST ONLY: starts exec_command sessions with child_process directly in `root` (no sandbox), with a live stdin, so
 * that write_stdin can be tested as a runner's SessionExecutor would provide it. No terminal (`tty` stays false).
 */
export function createLocalSessionExecutor(root: string): SessionExecutor {
  return ({ argv, cwd, timeoutMs, signal, onOutput }) => {
    const started = Date.now();
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let cancelled = false;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: cwd ? path.join(root, cwd) : root,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: root, LANG: "C.UTF-8" } as unknown as NodeJS.ProcessEnv,
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    child.stdin.on("error", () => {});
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString("utf8");
      onOutput?.("stdout", b.toString("utf8"));
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString("utf8");
      onOutput?.("stderr", b.toString("utf8"));
    });
    const result = new Promise<ShellResult>((resolve) => {
      child.on("close", (code) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve({ exitCode: timedOut || cancelled ? null : code ?? 127, timedOut, cancelled, durationMs: Date.now() - started, stdout, stderr, truncated: false });
      });
    });
    const running: RunningCommand = {
      stdin: true,
      tty: false,
      write: (chars) => new Promise<void>((resolve, reject) => child.stdin.write(chars, (err) => (err ? reject(err) : resolve()))),
      kill: onAbort,
      result,
    };
    return running;
  };
}
