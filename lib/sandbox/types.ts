import "server-only";

import type { AttemptCgroup } from "./cgroup";

/**
 * Backend-neutral sandbox interface. bubblewrap is the Linux default (see bwrap.ts); Docker or Kubernetes backends
 * can implement the same `Sandbox` interface later. Inside every backend the checkout is at `SANDBOX_WORKSPACE`.
 */

/** Where the attempt's checkout appears inside the sandbox. */
export const SANDBOX_WORKSPACE = "/workspace";

export type SandboxLimits = {
  /** RLIMIT_CPU in seconds, per process (a child starts its own count). Unset = no limit. */
  cpuSeconds?: number;
  /** RLIMIT_NPROC: processes/threads of the sandbox user. Default 1024. */
  maxProcesses?: number;
  /** RLIMIT_FSIZE: largest file a command may write, in bytes. Unset = no limit. */
  maxFileBytes?: number;
  /**
   * Memory, bytes. With a control group (SandboxOptions.cgroup) it bounds the whole attempt there; without one it
   * becomes RLIMIT_DATA of each process (its private writable memory, a coarser bound).
   */
  memoryBytes?: number;
  /** Output kept per stream (stdout, stderr) per command, in bytes. The rest is read, counted and discarded. Default 1 MiB. */
  maxOutputBytes?: number;
};

export type SandboxOptions = {
  /** The attempt's checkout on the host (absolute path). Appears at /workspace inside. */
  workspaceDir: string;
  /** "rw" = Code mode (checkout writable), "ro" = Ask mode (checkout bound read-only). */
  mode: "rw" | "ro";
  /**
   * "off" = an empty network namespace (only a loopback of its own). "proxy" = the same, plus the egress proxy's
   * Unix socket (proxySocket) bridged to 127.0.0.1:3128 and HTTP(S)_PROXY pointing there: the only way out.
   * A sandbox never shares the host's network.
   */
  network: "off" | "proxy";
  /** Host path of the egress proxy's Unix socket (network "proxy"). */
  proxySocket?: string;
  /**
   * Host path of the runner's model gateway socket: bound in and bridged to 127.0.0.1:3129, PATCHBAY_MODEL_URL
   * points there. For engines (Codex CLI, Claude Code) that run inside; the API key stays in the gateway.
   */
  modelSocket?: string;
  /** Extra environment variables. Everything else is cleared; see `baseSandboxEnv`. */
  env?: Record<string, string>;
  limits?: SandboxLimits;
  /**
   * Unprivileged host user the sandbox runs as when this process is root (default: `ensureSandboxUser()`).
   * The caller must make the checkout owned by (rw) or readable by (ro) this user, and every ancestor directory of
   * the checkout traversable by it.
   */
  hostUser?: { uid: number; gid: number };
  /** bubblewrap binary (default "bwrap", looked up in /usr/sbin:/usr/bin:/sbin:/bin). */
  bwrapPath?: string;
  /**
   * Host directory in which the per-sandbox scratch directory (the sandbox's /tmp and HOME, removed by destroy())
   * is created. Default: os.tmpdir().
   */
  scratchParentDir?: string;
  /**
   * Host directory in which the sandboxes' shared /etc folder is made (lib/sandbox/sandbox-etc.ts): one that outlives
   * the attempts and that the sandbox user can reach. Default: os.tmpdir().
   */
  etcParentDir?: string;
  /**
   * Extra host paths bound read-only at the given absolute sandbox path, e.g. the bare mirror a
   * `git clone --shared` checkout points to through .git/objects/info/alternates. Never bind secrets here.
   */
  extraReadOnlyBinds?: Array<{ hostPath: string; sandboxPath: string; /** Read-write (a cache entry being built). */ writable?: boolean }>;
  /**
   * The attempt's control group: every command joins it before the sandbox starts (memory, processes and CPU
   * bounded across the attempt). Null or unset: per-process rlimits only.
   */
  cgroup?: AttemptCgroup | null;
};

export type OutputStream = "stdout" | "stderr";

export type ExecRequest = {
  argv: string[];
  /** Relative to the workspace root (or an absolute path under /workspace); must stay inside it. */
  cwd?: string;
  /** Wall clock limit; the whole process tree is killed when it expires. */
  timeoutMs: number;
  /** Abort = SIGTERM, then SIGKILL after a short grace; the result has cancelled: true. */
  signal?: AbortSignal;
  /** Called as output arrives (decoded UTF-8, never splitting a character), up to maxOutputBytes per stream. */
  onOutput?: (stream: OutputStream, chunk: string) => void;
  /** Written to the command's stdin, then closed. Without it stdin is /dev/null. */
  stdin?: string;
  /**
   * Raw stdout goes here (binary, e.g. a git pack) instead of onOutput/stdout; more than maxStdoutBytes kills the
   * command (the result then has stdoutOverflow).
   */
  stdoutSink?: NodeJS.WritableStream;
  maxStdoutBytes?: number;
};

export type ExecResult = {
  /** The command's exit code; 128+n when it was killed by signal n inside the sandbox. null when we killed it. */
  exitCode: number | null;
  /** Signal that ended the sandbox process (timeout/cancel), else null. */
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** At most maxOutputBytes bytes each. */
  stdout: string;
  stderr: string;
  /** Total bytes written to stdout + stderr, including discarded bytes. */
  outputBytes: number;
  /** True when any output was discarded. */
  truncated: boolean;
  /** stdoutSink was given more than maxStdoutBytes: the command was killed. */
  stdoutOverflow?: boolean;
  /** The kernel killed a process of this command because the attempt reached its memory limit. */
  oomKilled?: boolean;
};

/** A command started with a live stdin (an agent's interactive session). */
export type StartRequest = Omit<ExecRequest, "stdin" | "stdoutSink" | "maxStdoutBytes"> & {
  /** Run it on a pseudo-terminal (util-linux `script` inside the sandbox, on the sandbox's own devpts). */
  tty?: boolean;
};

export interface StartedCommand {
  readonly tty: boolean;
  /** Writes to its stdin (on a terminal: keystrokes). */
  write(chars: string): Promise<void>;
  /** Stops it and everything it started; `result` then has cancelled: true. */
  kill(): void;
  readonly result: Promise<ExecResult>;
}

export interface Sandbox {
  exec(req: ExecRequest): Promise<ExecResult>;
  /** Starts a command whose stdin stays open until it ends (or kill()). */
  start(req: StartRequest): Promise<StartedCommand>;
  /** Kills running commands and removes the sandbox's scratch space. Idempotent. */
  destroy(): Promise<void>;
}

export type SandboxAvailability = { ok: true } | { ok: false; message: string };
