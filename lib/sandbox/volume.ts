import "server-only";

import fs from "node:fs/promises";
import { statfsSync, type StatsFs } from "node:fs";
import path from "node:path";

import { SandboxError } from "./errors";
import { spawnViaHelper, spawnViaHelperOk } from "./spawner";

// mkfs, mount and umount start from the command helper process: spawn() from the (large) web process blocks its
// thread for each fork (lib/sandbox/spawner.ts).
const runHostCommand = (file: string, args: string[], opts: { timeoutMs?: number } = {}) => spawnViaHelper({ file, args, ...opts });
const runHostCommandOk = spawnViaHelperOk;
import { isRoot } from "./host-user";

/**
 * The disk cap of an attempt: its checkout, git dir and every sandbox's /tmp live on a filesystem of their own, an
 * ext4 image (sparse: it takes only what is written) loop-mounted `nosuid,nodev`. A command that writes past the
 * cap gets ENOSPC from the kernel, the host's own free space is never touched beyond the cap, and removing the
 * attempt's leftovers is one umount and one unlink (no walk over a tree the agent shaped).
 *
 * Volumes need root (mount). Without root, attempts work in plain directories and the cap is not enforced; the
 * runner says so in the attempt's log.
 */

export type Volume = {
  /** Where the filesystem is mounted (or the plain directory, when volumes are not available). */
  readonly dir: string;
  readonly capBytes: number | null;
  /** Bytes used and free on the volume (null without a volume). */
  usage(): Promise<{ usedBytes: number; freeBytes: number } | null>;
  /**
   * Remounts the volume read-only for good (a cache entry): it can no longer grow, so its free space is no longer
   * promised to anyone. The image stays; it is no longer this object's to destroy.
   */
  seal(): Promise<void>;
  /** Unmounts and deletes the image (or removes the plain directory). Idempotent. */
  destroy(): Promise<void>;
  /** Moves the mounted volume and its image to `<root>/vol` and `<root>/vol.img` (a pooled volume given to a turn). */
  relocate?(root: string): Promise<void>;
};

export type VolumeSupport = { ok: true } | { ok: false; reason: string };

const MKFS_TIMEOUT_MS = 30_000;
/** Host space that must stay free beyond the caps of every live volume of this process. */
const HOST_RESERVE_BYTES = 512 * 1024 * 1024;

let support: Promise<VolumeSupport> | null = null;

export function detectVolumeSupport(): Promise<VolumeSupport> {
  support ??= (async (): Promise<VolumeSupport> => {
    if (!isRoot()) return { ok: false, reason: "the runner is not root, so it cannot mount a volume per attempt" };
    for (const tool of ["/usr/sbin/mkfs.ext4", "/usr/bin/mount", "/usr/bin/umount"]) {
      if (!(await fs.access(tool).then(() => true, () => false))) {
        return { ok: false, reason: `${tool} is missing (apt-get install e2fsprogs mount)` };
      }
    }
    if (!(await fs.access("/dev/loop-control").then(() => true, () => false))) {
      return { ok: false, reason: "this host has no loop devices (/dev/loop-control)" };
    }
    return { ok: true };
  })();
  return support;
}

/** Caps (minus what they already use) of the volumes this process has mounted: space promised to attempts. */
const live = new Map<string, Volume>();

async function promisedBytes(): Promise<number> {
  let total = 0;
  for (const v of live.values()) {
    const u = await v.usage();
    if (u) total += u.freeBytes;
  }
  return total;
}

async function statfsBytes(dir: string): Promise<{ free: number; total: number }> {
  const s = await fs.statfs(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

export class DiskFullError extends SandboxError {
  constructor(message: string) {
    super(message);
    this.name = "DiskFullError";
  }
}

/** Refuses a new volume when the host could not hold its cap next to the volumes already promised. */
async function admit(root: string, cap: number): Promise<void> {
  const host = await statfsBytes(root);
  const promised = await promisedBytes();
  if (host.free - promised < cap + HOST_RESERVE_BYTES) {
    const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
    throw new DiskFullError(
      `The runner's disk is too full for another attempt: it needs ${gib(cap)} (the disk cap), ${gib(Math.max(0, host.free - promised))} is left after the attempts already running.`,
    );
  }
}

/**
 * A volume of `capBytes` at `<root>/vol` (image `<root>/vol.img`). Refuses when the host could not hold it next to
 * the volumes already promised, so that parallel attempts cannot together fill the host either.
 */
export async function createVolume(opts: { root: string; capBytes: number | null; /** false: a pool's spare, promised to nobody yet */ promise?: boolean }): Promise<Volume> {
  const dir = path.join(opts.root, "vol");
  const image = path.join(opts.root, "vol.img");
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const can = await detectVolumeSupport();
  if (!can.ok || opts.capBytes === null) return plainVolume(dir);

  const cap = opts.capBytes;
  await admit(opts.root, cap);
  const handle = await fs.open(image, "wx", 0o600);
  try {
    await handle.truncate(cap);
  } finally {
    await handle.close();
  }
  try {
    // No journal and lazy inode tables: a few ms to make, and it is thrown away with the attempt.
    await runHostCommandOk(
      "/usr/sbin/mkfs.ext4",
      ["-q", "-F", "-O", "^has_journal", "-E", "lazy_itable_init=1,nodiscard,root_owner=0:0", "-m", "0", "-i", "16384", "-L", "patchbay", image],
      { timeoutMs: MKFS_TIMEOUT_MS },
    );
    // discard: what the attempt deletes is given back to the host at once.
    await runHostCommandOk("/usr/bin/mount", ["-t", "ext4", "-o", "loop,nosuid,nodev,noatime,discard", image, dir], { timeoutMs: MKFS_TIMEOUT_MS });
    await fs.rm(path.join(dir, "lost+found"), { recursive: true, force: true });
    await fs.chmod(dir, 0o755);
  } catch (err) {
    await runHostCommand("/usr/bin/umount", [dir]).catch(() => undefined);
    await fs.rm(image, { force: true });
    throw new SandboxError(`could not make the attempt's disk volume: ${(err as Error).message}`, { cause: err });
  }

  let destroyed = false;
  let dir2 = dir;
  let image2 = image;
  const volume: Volume = {
    get dir() {
      return dir2;
    },
    capBytes: cap,
    async relocate(root: string) {
      const to = path.join(root, "vol");
      const toImage = path.join(root, "vol.img");
      await fs.mkdir(to, { recursive: true, mode: 0o755 });
      // A mount under a shared mount cannot move (systemd hosts): the caller then makes a volume in place.
      await runHostCommandOk("/usr/bin/mount", ["--move", dir2, to], { timeoutMs: MKFS_TIMEOUT_MS });
      await fs.rename(image2, toImage);
      await fs.rmdir(dir2).catch(() => undefined);
      live.delete(dir2);
      dir2 = to;
      image2 = toImage;
      live.set(dir2, volume); // promised to this turn from now on
    },
    async usage() {
      // Synchronous: statfs reads the mounted file system's counters (no I/O), and a new attempt asks it of every
      // live volume; through the thread pool each cost ~20x the call.
      let s: StatsFs;
      try {
        s = statfsSync(dir2);
      } catch {
        return null;
      }
      return { usedBytes: (s.blocks - s.bfree) * s.bsize, freeBytes: s.bavail * s.bsize };
    },
    async seal() {
      await runHostCommandOk("/usr/bin/mount", ["-o", "remount,ro", dir2], { timeoutMs: MKFS_TIMEOUT_MS });
      live.delete(dir2);
      destroyed = true;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(dir2);
      await unmount(dir2);
      await fs.rm(image2, { force: true });
      await fs.rmdir(dir2).catch(() => undefined);
    },
  };
  if (opts.promise !== false) live.set(dir, volume);
  return volume;
}

/**
 * Volumes made ahead of need (mkfs + mount take tens of milliseconds, more on a busy disk): a turn takes a ready
 * one and moves it into place, and a new one is made in the background. Empty of anything an attempt wrote: each is
 * used once. Without volume support (or when a move is refused) a turn makes its own.
 */
export function createVolumePool(opts: { dir: string; capBytes: number | null; size: number }) {
  const ready: Volume[] = [];
  let filling: Promise<void> | null = null;
  let seq = 0;
  let closed = false;
  const fill = () => {
    filling ??= (async () => {
      try {
        if (!(await detectVolumeSupport()).ok || opts.capBytes === null) return;
        while (!closed && ready.length < opts.size) {
          const root = path.join(opts.dir, `${process.pid}-${++seq}`);
          const v = await createVolume({ root, capBytes: opts.capBytes, promise: false });
          if (closed) {
            // Made while the pool was closing: it goes whole, its folder too (as close() does for the ready ones).
            await v.destroy();
            await fs.rm(root, { recursive: true, force: true });
          } else ready.push(v);
        }
      } catch {
        // a full disk or no loop devices: turns make their own volume (and say why)
      } finally {
        filling = null;
      }
    })();
  };
  return {
    /** A volume at `<root>/vol` (image `<root>/vol.img`). */
    async take(root: string): Promise<Volume> {
      const v = ready.shift();
      fill();
      if (v?.relocate && opts.capBytes !== null) {
        try {
          await admit(root, opts.capBytes).catch(async (err) => {
            await v.destroy();
            throw err;
          });
          await v.relocate(root);
          return v;
        } catch (err) {
          if (err instanceof DiskFullError) throw err;
          await v.destroy().catch(() => undefined);
        }
      }
      return createVolume({ root, capBytes: opts.capBytes });
    },
    /** Makes the pool's volumes now (a runner starting). */
    warm: fill,
    /** Unmounts and removes the spares (a process stopping): nothing of the pool outlives it. */
    async close() {
      closed = true;
      await filling;
      for (const v of ready.splice(0)) {
        await v.destroy().catch(() => undefined);
        await fs.rm(path.dirname(v.dir), { recursive: true, force: true });
      }
    },
  };
}

export type VolumePool = ReturnType<typeof createVolumePool>;

/** Volumes that processes which died left in a pool folder (named <pid>-<n>): unmounted and removed. */
export async function clearVolumePool(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const pid = Number(name.split("-")[0]);
    if (Number.isSafeInteger(pid) && pid !== process.pid && processAlive(pid)) continue;
    const root = path.join(dir, name);
    await unmount(path.join(root, "vol"));
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** Unmounts `dir` when something is mounted there; a busy mount is detached lazily (it goes when its last user does). */
export async function unmount(dir: string): Promise<void> {
  if (!(await isMountPoint(dir))) return;
  const first = await runHostCommand("/usr/bin/umount", [dir], { timeoutMs: MKFS_TIMEOUT_MS });
  if (first.code !== 0 && (await isMountPoint(dir))) {
    await runHostCommand("/usr/bin/umount", ["-l", dir], { timeoutMs: MKFS_TIMEOUT_MS });
  }
}

/** Whether `dir` is a mount point (its device differs from its parent's). Never follows a symlink. */
export async function isMountPoint(dir: string): Promise<boolean> {
  const [st, parent] = await Promise.all([fs.lstat(dir).catch(() => null), fs.lstat(path.dirname(dir)).catch(() => null)]);
  if (!st || !parent || !st.isDirectory()) return false;
  return st.dev !== parent.dev;
}

function plainVolume(dir: string): Volume {
  return {
    dir,
    capBytes: null,
    usage: async () => null,
    seal: async () => undefined,
    destroy: async () => {
      await fs.rm(dir, { recursive: true, force: true, maxRetries: 2 });
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
