import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountsUnder } from "../helpers/mounts";
import { attack, sh, startHostileStack, type HostileStack } from "./harness";

/**
 * One tenant must not starve the host or another tenant: disk, memory, processes and CPU are bounded per attempt,
 * and nothing of an attempt (process, mount, cgroup, file beyond its snapshot) outlives it.
 */

const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Host processes whose command line contains `needle`. */
function processesWith(needle: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${entry}/status`, "utf8"))?.[1];
      if (cmdline.includes(needle) && state !== "Z") found.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return found;
}

function cgroupDirsOf(attemptId: string): string[] {
  const roots = ["/sys/fs/cgroup/patchbay", "/sys/fs/cgroup/memory/patchbay", "/sys/fs/cgroup/pids/patchbay", "/sys/fs/cgroup/cpu/patchbay"];
  return roots.map((r) => path.join(r, `attempt-${attemptId}`)).filter((d) => fs.existsSync(d));
}

/** A CPU-bound piece of work that reports how long it took (the victim's "tests"). */
const WORK = `node -e 'const t=Date.now(); let x=0; for (let i=0;i<4e8;i++) x+=i%7; console.log("work_ms="+(Date.now()-t))'`;
const workMs = (log: string) => Number(/work_ms=(\d+)/.exec(log)?.[1]);
const SLEEP_TAG = `1001.${Math.floor(Math.random() * 1e6)}`;

describe.skipIf(!isRoot)("limits of one attempt (volumes and cgroups need root)", () => {
  let s: HostileStack;
  const DISK = 512 * MiB;
  const MEMORY = 256 * MiB;

  beforeAll(async () => {
    s = await startHostileStack({
      limits: { diskBytes: DISK, memoryBytes: MEMORY, maxProcesses: 64 },
      commandLimits: { memoryBytes: MEMORY, maxProcesses: 64 },
      concurrency: 2,
      scenarios: () => [
        attack("fill-disk", [
          sh(`cd /workspace
start=$(date +%s%N)
for i in $(seq 1 100); do dd if=/dev/zero of=big$i bs=1M count=200 status=none || { echo "stopped at file $i"; break; }; done
echo "write_ms=$(( ($(date +%s%N) - start) / 1000000 )) written_mb=$(du -sm --apparent-size . | cut -f1)"`),
          sh(`dd if=/dev/zero of=/tmp/fill bs=1M count=2000 status=none || echo "tmp stopped at $(du -sm /tmp/fill | cut -f1) MiB"`),
          sh(`dd if=/dev/zero of=/dev/shm/fill bs=1M count=2000 status=none || echo "shm stopped at $(du -sm /dev/shm/fill | cut -f1) MiB"`),
          sh(`cd /workspace && rm -f big* /tmp/fill && echo "A small real change." >> README.md && echo cleaned`),
        ]),
        attack("eat-memory", [
          sh(`node -e 'const a=[]; for (;;) a.push(Buffer.alloc(16<<20, 1))'; echo "node exit $?"`),
          sh(`tail /dev/zero; echo "tail exit $?"`),
          sh(`echo "still here"`),
        ]),
        attack("victim", [sh(WORK)]),
        attack("hog", [
          {
            toolCalls: [
              {
                name: "shell",
                arguments: {
                  // Busy loops and a fork bomb, all at once, until the command's timeout kills them.
                  command: ["bash", "-c", `for i in $(seq 1 16); do (while :; do :; done) & done; bomb() { bomb | bomb & }; bomb; sleep ${SLEEP_TAG}`],
                  timeout_ms: 12_000,
                },
              },
            ],
          },
        ]),
        attack("leave-behind", [
          sh(`(sleep ${SLEEP_TAG} &) ; nohup sleep ${SLEEP_TAG} >/dev/null 2>&1 & setsid sleep ${SLEEP_TAG} & disown; echo "left three sleepers"`),
          sh(`cd /workspace && echo "change" >> README.md && mkdir -p build && dd if=/dev/zero of=build/junk bs=1M count=50 status=none && echo ok`),
        ]),
      ],
    });
  });
  afterAll(async () => s?.close());

  it("stops a 20 GB write at the disk cap with a clear message; the host keeps its free space", async () => {
    const before = freeBytes(s.hostDir);
    let lowest = before;
    const poll = setInterval(() => (lowest = Math.min(lowest, freeBytes(s.hostDir))), 50);
    const { attempt, log } = await s.run("fill-disk");
    clearInterval(poll);
    expect(attempt.errorMessage).toBeNull();
    expect(attempt.status).toBe("succeeded");
    expect(log).toMatch(/stopped at file \d+/);
    expect(log).toContain("[patchbay] The attempt's disk is full: its checkout and /tmp may hold at most 512 MiB (SANDBOX_DISK_MB).");
    expect(log).toMatch(/tmp stopped at \d+ MiB/);
    expect(log).toMatch(/shm stopped at 64 MiB/);
    expect(log).toContain("cleaned");
    const written = Number(/written_mb=(\d+)/.exec(log)?.[1]);
    expect(written).toBeLessThanOrEqual(512);
    // The host lost at most the cap (plus the volume's own metadata) while the attack ran, and got it all back.
    expect(before - lowest).toBeLessThan(DISK + 64 * MiB);
    expect(freeBytes(s.hostDir)).toBeGreaterThan(before - 32 * MiB);
    expect(attempt.diff).toContain("+A small real change.");
    console.log(`disk: a 20 GB write stopped at ${written} MiB in ${/write_ms=(\d+)/.exec(log)?.[1]} ms; host free space dipped by ${Math.round((before - lowest) / MiB)} MiB`);
  });

  it("kills a command at the attempt's memory limit and says so; the attempt goes on", async () => {
    const { attempt, log } = await s.run("eat-memory");
    expect(attempt.status).toBe("succeeded");
    expect(log).toMatch(/node exit 137/);
    expect(log).toMatch(/tail exit 137/);
    expect(log).toContain("[patchbay] Killed: this attempt reached its memory limit of 256 MiB (SANDBOX_MEMORY_MB).");
    expect(log).toContain("still here");
  });

  it("keeps another attempt progressing while one runs busy loops and a fork bomb", async () => {
    const alone = workMs((await s.run("victim")).log);
    expect(alone).toBeGreaterThan(0);
    const hog = await s.start("hog");
    // Wait until the hog is really burning: its sleepers are there once the loops and the bomb are started.
    const deadline = Date.now() + 20_000;
    while (processesWith(SLEEP_TAG).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(processesWith(SLEEP_TAG).length).toBeGreaterThan(0);
    const victim = await s.run("victim");
    expect(victim.attempt.status).toBe("succeeded");
    const underAttack = workMs(victim.log);
    const hogRun = await s.finished(hog.attemptIds[0]);
    expect(hogRun.log).toMatch(/fork: retry|Resource temporarily unavailable|fork:/);
    // Equal CPU shares per attempt: the victim keeps about a core; without them it would get 1/17 of the machine.
    expect(underAttack).toBeLessThan(alone * 4);
    expect(processesWith(SLEEP_TAG)).toEqual([]);
    console.log(`cpu: victim's work took ${alone} ms alone and ${underAttack} ms beside 16 busy loops and a fork bomb`);
  });

  it("leaves nothing behind: no process, mount, cgroup or file beyond the snapshot", async () => {
    const { attempt, log } = await s.run("leave-behind");
    expect(attempt.status).toBe("succeeded");
    expect(log).toContain("left three sleepers");
    expect(processesWith(SLEEP_TAG)).toEqual([]);
    expect(mountsUnder(path.join(s.config.dataDir, "work", attempt.id))).toEqual([]);
    expect(cgroupDirsOf(attempt.id)).toEqual([]);
    expect(fs.readdirSync(path.join(s.config.dataDir, "work", attempt.id))).toEqual(["host.git"]);
    // The 50 MiB of build output was never part of the snapshot beyond its (compressed) objects.
    const hostRepoBytes = Number(
      fs.readdirSync(path.join(s.config.dataDir, "work", attempt.id, "host.git", "objects", "pack")).reduce(
        (n, f) => n + fs.statSync(path.join(s.config.dataDir, "work", attempt.id, "host.git", "objects", "pack", f)).size,
        0,
      ),
    );
    expect(hostRepoBytes).toBeLessThan(2 * MiB);
  });
});
