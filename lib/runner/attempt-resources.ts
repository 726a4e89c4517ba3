import "server-only";
import { logError } from "@/lib/log";
import fs from "node:fs/promises";
import type { SandboxOptions } from "@/lib/sandbox";
import { createAttemptCgroup, detectCgroupSupport, removeLeftCgroup, type AttemptCgroup } from "@/lib/sandbox/cgroup";
import { sandboxEtcDir } from "@/lib/sandbox/sandbox-etc";
import path from "node:path";
import { clearVolumePool, createVolumePool, DiskFullError, type Volume, type VolumePool } from "@/lib/sandbox/volume";
import type { RunnerConfig } from "./config";
import { removeVolume, type AttemptWorkspace } from "./workspace";

/**
 * What one turn of an attempt holds on the runner while it works, and gives back when it ends: a disk volume of
 * its own (the cap on checkout + git dir + /tmp) and a control group (memory, processes, CPU across every
 * command). `release()` kills whatever is left in the group and removes the volume: after a turn only the host
 * repository (the snapshot's objects) and the database rows remain.
 */
export type AttemptResources = {
  volume: Volume;
  cgroup: AttemptCgroup | null;
  /** Lines for the attempt's log saying which limits are enforced how. */
  notes: string[];
  /** The attempt's limits, as enforced. */
  limits: RunnerConfig["sandbox"]["attempt"];
  sandboxBase(ws: AttemptWorkspace, hostUser: { uid: number; gid: number } | null): Omit<SandboxOptions, "mode" | "network" | "env">;
  /** CPU seconds the turn used so far (null without a cgroup). */
  cpuSeconds(): Promise<number | null>;
  release(): Promise<void>;
};

export class ResourceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;

export async function acquireAttemptResources(opts: { config: RunnerConfig; workspace: AttemptWorkspace; attemptId: string }): Promise<AttemptResources> {
  const { config, workspace: ws } = opts;
  const limits = config.sandbox.attempt;
  const notes: string[] = [];
  await fs.mkdir(ws.root, { recursive: true, mode: 0o755 });
  let volume: Volume;
  try {
    volume = await volumePool(config).take(ws.root);
  } catch (err) {
    if (err instanceof DiskFullError) throw new ResourceError("host_disk_full", err.message);
    throw err;
  }
  let cgroup: AttemptCgroup | null = null;
  try {
    const support = await detectCgroupSupport(config.sandbox.cgroup);
    cgroup = await createAttemptCgroup(support, `attempt-${opts.attemptId}`, {
      memoryBytes: limits.memoryBytes,
      maxProcesses: limits.maxProcesses,
      cpuCores: limits.cpuCores,
    });
    if (!cgroup && support.kind === "none") notes.push(`memory and CPU are limited per process only: ${support.reason}`);
  } catch (err) {
    await volume.destroy().catch(() => undefined);
    throw err;
  }
  if (volume.capBytes === null) notes.push("the disk cap is not enforced: volumes need a runner that runs as root");

  return {
    volume,
    cgroup,
    notes,
    limits,
    sandboxBase: (workspace, hostUser) => ({
      workspaceDir: workspace.tree,
      limits: {
        ...config.sandbox.limits,
        // Without a cgroup the attempt's CPU budget can only be enforced per process.
        ...(cgroup ? {} : { cpuSeconds: limits.cpuSeconds }),
      },
      bwrapPath: config.sandbox.bwrapPath,
      hostUser: hostUser ?? undefined,
      scratchParentDir: workspace.scratch,
      etcParentDir: sandboxEtcParent(config),
      extraReadOnlyBinds: [{ hostPath: workspace.gitDir, sandboxPath: "/workspace-git" }],
      cgroup,
    }),
    async cpuSeconds() {
      return cgroup ? (await cgroup.cpuUsageMs()) / 1000 : null;
    },
    async release() {
      await cgroup?.destroy().catch((err) => logError("could not remove an attempt's cgroup", err));
      await volume.destroy();
    },
  };
}

/**
 * What a turn of a dead runner left on this machine (its lease lapsed; the sweeper calls this): the cgroup and
 * the volume. The host repository stays for the attempt's PR.
 */
export async function releaseLeftovers(opts: { config: RunnerConfig; workspace: AttemptWorkspace; attemptId: string }): Promise<void> {
  const support = await detectCgroupSupport(opts.config.sandbox.cgroup);
  await removeLeftCgroup(support, `attempt-${opts.attemptId}`);
  await removeVolume(opts.workspace);
}

/** One pool of ready volumes per data folder in this process (runners of one process share it). */
const pools = new Map<string, VolumePool>();

function volumePool(config: RunnerConfig): VolumePool {
  let pool = pools.get(config.dataDir);
  if (!pool) {
    pool = createVolumePool({ dir: path.join(config.dataDir, "pool"), capBytes: config.sandbox.attempt.diskBytes, size: config.sandbox.volumePool });
    pools.set(config.dataDir, pool);
  }
  return pool;
}

/** Runners of this process using each pool: the last one to stop gives the pool's spares back. */
const poolUsers = new Map<string, number>();

/** A runner starting: what dead processes left in the pool goes, and the pool is filled ahead of the first task. */
/** Where the sandboxes' shared /etc folder is made (lib/sandbox/sandbox-etc.ts): the data folder outlives attempts. */
function sandboxEtcParent(config: RunnerConfig): string {
  return path.join(config.dataDir, "sandbox-etc");
}

/** Makes the sandboxes' /etc folder before the first attempt needs it (a copy of a few hundred entries, ~0.1 s). */
export function prepareSandboxEtc(config: RunnerConfig): void {
  try {
    sandboxEtcDir(sandboxEtcParent(config));
  } catch (err) {
    logError("could not prepare the sandboxes' /etc (the first sandbox will try again)", err);
  }
}

export async function warmVolumePool(config: RunnerConfig): Promise<void> {
  const users = (poolUsers.get(config.dataDir) ?? 0) + 1;
  poolUsers.set(config.dataDir, users);
  // Only the first runner of this process clears: for a second one, this process's volumes there are the first
  // runner's spares (clearing them unmounted volumes the pool still counted as ready).
  if (users === 1) await clearVolumePool(path.join(config.dataDir, "pool"));
  volumePool(config).warm();
}

/**
 * A runner stopping: when no other runner of this process uses its pool, the spares are unmounted and removed now
 * (a stopped process must not leave loop mounts behind for the next start to find).
 */
export async function closeVolumePool(config: RunnerConfig): Promise<void> {
  const users = (poolUsers.get(config.dataDir) ?? 1) - 1;
  if (users > 0) {
    poolUsers.set(config.dataDir, users);
    return;
  }
  poolUsers.delete(config.dataDir);
  const pool = pools.get(config.dataDir);
  pools.delete(config.dataDir);
  await pool?.close();
}

/** What a person and the model read when a command hit one of the attempt's limits. */
export function limitMessage(kind: "memory" | "disk" | "cpu", limits: RunnerConfig["sandbox"]["attempt"]): string {
  switch (kind) {
    case "memory":
      return `[patchbay] Killed: this attempt reached its memory limit of ${mib(limits.memoryBytes)} (SANDBOX_MEMORY_MB).`;
    case "disk":
      return `[patchbay] The attempt's disk is full: its checkout and /tmp may hold at most ${mib(limits.diskBytes)} (SANDBOX_DISK_MB). Delete files you do not need.`;
    case "cpu":
      return `[patchbay] Stopped: this attempt used its CPU time budget of ${limits.cpuSeconds} s (SANDBOX_CPU_SECONDS).`;
  }
}
