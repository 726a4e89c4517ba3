import "server-only";

import fs from "node:fs/promises";
import { readFileSync } from "node:fs";
import path from "node:path";

import { isRoot } from "./host-user";

/**
 * One control group per attempt: every process of every command of the attempt (setup, agent, snapshot) joins it,
 * so memory, the number of processes and CPU are bounded across the attempt, not per command, and one tenant's
 * fork bomb or busy loops get the same CPU share as any other attempt, never the whole machine.
 *
 * cgroup v2 where the host offers it (memory.max, pids.max, cpu.weight/cpu.max, memory.events, cgroup.kill);
 * else the v1 memory, pids and cpu/cpuacct hierarchies (as on hosts that still mount them). Without either (not
 * root, no delegation) the sandbox falls back to per-process rlimits and says so.
 */

export type CgroupLimits = {
  /** Memory of the whole attempt (RSS + page cache + tmpfs), bytes. Swap is not allowed on top of it. */
  memoryBytes: number;
  /** Processes and threads of the whole attempt. */
  maxProcesses: number;
  /** Upper bound of CPU cores the attempt may use at once (cpu.max); unset = a fair share only. */
  cpuCores?: number;
};

export type CgroupSupport = { kind: "v2"; root: string } | { kind: "v1"; roots: Record<V1Controller, string> } | { kind: "none"; reason: string };

type V1Controller = "memory" | "pids" | "cpu" | "cpuacct";

export interface AttemptCgroup {
  readonly kind: "v2" | "v1";
  /** `cgroup.procs` files a launcher writes its pid to before it execs the sandbox. */
  readonly procsFiles: string[];
  /** OOM kills in this cgroup so far. */
  oomKills(): Promise<number>;
  /** CPU time used by the attempt so far, ms. */
  cpuUsageMs(): Promise<number>;
  /** Processes in the cgroup now. */
  processCount(): Promise<number>;
  /** SIGKILLs every process in the cgroup and waits until it is empty. */
  killAll(): Promise<void>;
  /** killAll, then removes the cgroup. Idempotent. */
  destroy(): Promise<void>;
}

const CGROUP_FS = "/sys/fs/cgroup";
const PARENT = "patchbay";

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

async function writeFile(file: string, value: string): Promise<void> {
  await fs.writeFile(file, value);
}

/**
 * A control group's files are the kernel's counters, made when read: a synchronous read of one is ~12 µs, where
 * fs.promises.readFile (which cannot know their size: several reads through the thread pool) costs ~400 µs of CPU.
 * The runner reads them twice a command and twice a second an attempt.
 */
function readSmall(file: string): string {
  return readFileSync(file, "utf8");
}

async function readNumber(file: string): Promise<number> {
  return Number(readSmall(file).trim());
}

/** `key value` lines (memory.events, cpu.stat, memory.oom_control). */
async function readKeyed(file: string, key: string): Promise<number> {
  let text = "";
  try {
    text = readSmall(file);
  } catch {
    // gone with its group
  }
  const m = new RegExp(`^${key}\\s+(\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

let detected: Promise<CgroupSupport> | null = null;

/** What this host offers, detected once. `parent` overrides where attempt groups are made (a delegated v2 dir). */
export function detectCgroupSupport(opts: { mode: "auto" | "off"; parent?: string } = { mode: "auto" }): Promise<CgroupSupport> {
  if (opts.mode === "off") return Promise.resolve({ kind: "none", reason: "control groups are turned off (SANDBOX_CGROUP=off)" });
  detected ??= detect(opts.parent);
  return detected;
}

async function detect(parentOverride?: string): Promise<CgroupSupport> {
  if (!isRoot() && !parentOverride) {
    return { kind: "none", reason: "the runner is not root, so it cannot create control groups (set SANDBOX_CGROUP_PARENT to a delegated cgroup)" };
  }
  if (await exists(path.join(CGROUP_FS, "cgroup.controllers"))) {
    const root = parentOverride ?? path.join(CGROUP_FS, PARENT);
    try {
      const parentOfRoot = path.dirname(root);
      const available = (await fs.readFile(path.join(parentOfRoot, "cgroup.controllers"), "utf8")).split(/\s+/);
      for (const c of ["memory", "pids", "cpu"]) {
        if (!available.includes(c)) throw new Error(`the ${c} controller is not available in ${parentOfRoot}`);
      }
      await fs.mkdir(root, { recursive: true });
      await writeFile(path.join(parentOfRoot, "cgroup.subtree_control"), "+memory +pids +cpu").catch(() => undefined);
      await writeFile(path.join(root, "cgroup.subtree_control"), "+memory +pids +cpu");
      return { kind: "v2", root };
    } catch (err) {
      return { kind: "none", reason: `cgroup v2 is mounted but not usable here: ${(err as Error).message}` };
    }
  }
  const roots = {} as Record<V1Controller, string>;
  for (const c of ["memory", "pids", "cpu", "cpuacct"] as const) {
    const mount = path.join(CGROUP_FS, c);
    if (!(await exists(path.join(mount, "cgroup.procs")))) {
      return { kind: "none", reason: `no cgroup v2 and no cgroup v1 ${c} hierarchy at ${mount}` };
    }
    // cpu and cpuacct are often one hierarchy mounted twice (cpu,cpuacct): make one directory of it.
    roots[c] = path.join(await fs.realpath(mount), PARENT);
  }
  try {
    for (const dir of new Set(Object.values(roots))) await fs.mkdir(dir, { recursive: true });
    return { kind: "v1", roots };
  } catch (err) {
    return { kind: "none", reason: `cannot create cgroups: ${(err as Error).message}` };
  }
}

async function pidsIn(dir: string): Promise<number[]> {
  let text = "";
  try {
    text = readSmall(path.join(dir, "cgroup.procs"));
  } catch {
    // gone with its group
  }
  return text.split("\n").filter(Boolean).map(Number);
}

async function killLoop(dirs: string[], useKillFile: string | null): Promise<void> {
  for (let round = 0; round < 200; round++) {
    let any = false;
    if (useKillFile && round === 0) await writeFile(useKillFile, "1").catch(() => undefined);
    for (const dir of dirs) {
      for (const pid of await pidsIn(dir)) {
        any = true;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    if (!any) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function removeDir(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY") throw err;
      await new Promise((r) => setTimeout(r, 20)); // the last process is still being torn down
    }
  }
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Creates the attempt's cgroup with its limits; null when the host offers none (see detectCgroupSupport). */
export async function createAttemptCgroup(support: CgroupSupport, name: string, limits: CgroupLimits): Promise<AttemptCgroup | null> {
  if (support.kind === "none") return null;
  if (!NAME.test(name)) throw new Error(`bad cgroup name ${name}`);
  return support.kind === "v2" ? createV2(support.root, name, limits) : createV1(support.roots, name, limits);
}

async function createV2(root: string, name: string, limits: CgroupLimits): Promise<AttemptCgroup> {
  const dir = path.join(root, name);
  await fs.mkdir(dir);
  await writeFile(path.join(dir, "memory.max"), String(limits.memoryBytes));
  await writeFile(path.join(dir, "memory.swap.max"), "0").catch(() => undefined); // no swap accounting on some hosts
  await writeFile(path.join(dir, "pids.max"), String(limits.maxProcesses));
  if (limits.cpuCores) await writeFile(path.join(dir, "cpu.max"), `${Math.round(limits.cpuCores * 100_000)} 100000`);
  let destroyed = false;
  const hasKill = await exists(path.join(dir, "cgroup.kill"));
  const group: AttemptCgroup = {
    kind: "v2",
    procsFiles: [path.join(dir, "cgroup.procs")],
    oomKills: () => readKeyed(path.join(dir, "memory.events"), "oom_kill"),
    cpuUsageMs: async () => (await readKeyed(path.join(dir, "cpu.stat"), "usage_usec")) / 1000,
    processCount: async () => (await pidsIn(dir)).length,
    killAll: () => killLoop([dir], hasKill ? path.join(dir, "cgroup.kill") : null),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await group.killAll();
      await removeDir(dir);
    },
  };
  return group;
}

async function createV1(roots: Record<V1Controller, string>, name: string, limits: CgroupLimits): Promise<AttemptCgroup> {
  const dirs = Object.fromEntries(Object.entries(roots).map(([c, r]) => [c, path.join(r, name)])) as Record<V1Controller, string>;
  const unique = [...new Set(Object.values(dirs))];
  for (const dir of unique) await fs.mkdir(dir);
  await writeFile(path.join(dirs.memory, "memory.limit_in_bytes"), String(limits.memoryBytes));
  // Memory + swap capped at the same value: the attempt cannot swap its way past the limit.
  await writeFile(path.join(dirs.memory, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes)).catch(() => undefined);
  await writeFile(path.join(dirs.pids, "pids.max"), String(limits.maxProcesses));
  if (limits.cpuCores) {
    await writeFile(path.join(dirs.cpu, "cpu.cfs_period_us"), "100000");
    await writeFile(path.join(dirs.cpu, "cpu.cfs_quota_us"), String(Math.round(limits.cpuCores * 100_000)));
  }
  let destroyed = false;
  const group: AttemptCgroup = {
    kind: "v1",
    procsFiles: unique.map((d) => path.join(d, "cgroup.procs")),
    oomKills: () => readKeyed(path.join(dirs.memory, "memory.oom_control"), "oom_kill"),
    cpuUsageMs: async () => (await readNumber(path.join(dirs.cpuacct, "cpuacct.usage")).catch(() => 0)) / 1e6,
    processCount: async () => (await pidsIn(dirs.pids)).length,
    killAll: () => killLoop(unique, null),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await group.killAll();
      for (const dir of unique) await removeDir(dir);
    },
  };
  return group;
}

/** Removes a cgroup an earlier process left (a runner that died mid-turn): kills what is in it, then rmdir. */
export async function removeLeftCgroup(support: CgroupSupport, name: string): Promise<void> {
  if (support.kind === "none" || !NAME.test(name)) return;
  const dirs = support.kind === "v2" ? [path.join(support.root, name)] : [...new Set(Object.values(support.roots))].map((r) => path.join(r, name));
  const present: string[] = [];
  for (const dir of dirs) if (await exists(dir)) present.push(dir);
  if (present.length === 0) return;
  await killLoop(present, support.kind === "v2" ? path.join(present[0], "cgroup.kill") : null);
  for (const dir of present) await removeDir(dir);
}
