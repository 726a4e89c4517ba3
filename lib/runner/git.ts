import "server-only";
import type { Readable, Writable } from "node:stream";
import { runHostCommand } from "@/lib/sandbox/host-command";
import { spawnViaHelper } from "@/lib/sandbox/spawner";

export class GitError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = "GitError";
  }
}

export type GitOptions = {
  gitDir?: string;
  workTree?: string;
  cwd?: string;
  /** Extra config passed through the environment (GIT_CONFIG_*), e.g. an auth header: never on the command line. */
  config?: Record<string, string>;
  env?: Record<string, string>;
  timeoutMs?: number;
  input?: string;
  /** Piped to git's stdin (e.g. a pack for index-pack). */
  stdinStream?: Readable;
  /** git's raw stdout goes here (binary output such as a pack); the promise then resolves with "". */
  stdoutSink?: Writable;
  maxBuffer?: number;
};

/**
 * Host-side git over a checkout the agent wrote to. The workspace is hostile: no system or global config, hooks
 * off, no fsmonitor, no external diff or textconv drivers, no prompts. The git dir we pass lives outside the
 * checkout, so a planted `.git` is ignored.
 */
export function git(args: string[], opts: GitOptions = {}): Promise<string> {
  const config = {
    "core.hooksPath": "/dev/null",
    "core.fsmonitor": "false",
    "core.pager": "cat",
    "safe.directory": "*",
    "protocol.ext.allow": "never",
    "protocol.file.allow": "always",
    "advice.detachedHead": "false",
    "init.defaultBranch": "main",
    "gc.auto": "0",
    ...opts.config,
  };
  const entries = Object.entries(config);
  const env: NodeJS.ProcessEnv = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/nonexistent",
    LANG: "C.UTF-8",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    GIT_CONFIG_COUNT: String(entries.length),
    ...Object.fromEntries(entries.flatMap(([k, v], i) => [[`GIT_CONFIG_KEY_${i}`, k], [`GIT_CONFIG_VALUE_${i}`, v]])),
    ...(opts.gitDir ? { GIT_DIR: opts.gitDir } : {}),
    ...(opts.workTree ? { GIT_WORK_TREE: opts.workTree } : {}),
    ...opts.env,
  } as unknown as NodeJS.ProcessEnv;
  const argv = ["--no-pager", "-c", "core.quotePath=false", ...args];
  const common = { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs ?? 120_000, maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024, input: opts.input };
  // Buffered commands (nearly all) start in the small helper process (./spawner: a fork of this one is slow);
  // those that stream stdin or stdout through this process start here.
  const run =
    opts.stdinStream || opts.stdoutSink
      ? runHostCommand("git", argv, { ...common, stdinStream: opts.stdinStream, stdoutSink: opts.stdoutSink })
      : spawnViaHelper({ file: "git", args: argv, ...common });
  return run.then((result) => {
    if (result.code === 0) return result.stdout;
    const why = result.timedOut ? "timed out" : result.overflow ? "printed too much" : "";
    const stderr = redact(result.stderr);
    const last = stderr.trim().split("\n").slice(-3).join(" ");
    throw new GitError(`git ${args[0]} failed: ${last || why || `exit ${result.code ?? result.signal}`}`, stderr, result.timedOut ? null : result.code);
  });
}

/** Strips anything that looks like a credential from git's messages before they are logged or shown. */
export function redact(text: string): string {
  return text
    .replace(/(https?:\/\/)[^/@\s]+@/g, "$1***@")
    .replace(/\b(gh[pousr]_[A-Za-z0-9_]{8,})/g, "***")
    .replace(/(Authorization:\s*\w+\s+)\S+/gi, "$1***");
}

/**
 * Config that authenticates git's HTTP requests with a GitHub token, for `GitOptions.config`: it travels in the
 * environment (GIT_CONFIG_*), never in a URL or on the command line.
 */
export function gitAuthConfig(token: string): Record<string, string> {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return { "http.extraHeader": `Authorization: Basic ${basic}` };
}
