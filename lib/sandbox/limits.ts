import "server-only";

import { SandboxUsageError } from "./errors";
import type { SandboxLimits } from "./types";

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_PROCESSES = 1024;

export type ResolvedLimits = {
  cpuSeconds?: number;
  maxProcesses: number;
  maxFileBytes?: number;
  memoryBytes?: number;
  maxOutputBytes: number;
};

function positiveInt(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SandboxUsageError(`limits.${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function resolveLimits(limits: SandboxLimits | undefined): ResolvedLimits {
  return {
    cpuSeconds: positiveInt("cpuSeconds", limits?.cpuSeconds),
    maxProcesses: positiveInt("maxProcesses", limits?.maxProcesses) ?? DEFAULT_MAX_PROCESSES,
    maxFileBytes: positiveInt("maxFileBytes", limits?.maxFileBytes),
    memoryBytes: positiveInt("memoryBytes", limits?.memoryBytes),
    maxOutputBytes: positiveInt("maxOutputBytes", limits?.maxOutputBytes) ?? DEFAULT_MAX_OUTPUT_BYTES,
  };
}

/**
 * `prlimit` (util-linux, /usr/bin inside the sandbox) wrapping the command *inside* bwrap. Soft = hard, so the
 * command cannot raise them again (CPU: the hard limit is one second above the soft one).
 *
 * RLIMIT_NPROC is checked against the process count of the task's (user namespace, uid): applied inside the
 * sandbox's user namespace it counts only this sandbox's processes (verified on Linux 6.x), not every process of
 * the shared host user, so parallel sandboxes do not starve each other.
 */
export function prlimitPrefix(limits: ResolvedLimits, opts: { perProcessMemory?: boolean } = {}): string[] {
  const args = ["/usr/bin/prlimit", `--nproc=${limits.maxProcesses}`];
  // Without a control group, memory is bounded per process: RLIMIT_DATA (private writable memory), not RLIMIT_AS,
  // which would also count the address space V8 and WebAssembly only reserve and so break node at any sane value.
  if (opts.perProcessMemory && limits.memoryBytes !== undefined) args.push(`--data=${limits.memoryBytes}`);
  if (limits.maxFileBytes !== undefined) args.push(`--fsize=${limits.maxFileBytes}`);
  // CPU: SIGXCPU at the soft limit (exit 152 from a shell), SIGKILL one second later.
  if (limits.cpuSeconds !== undefined) args.push(`--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`);
  args.push("--");
  return args;
}
