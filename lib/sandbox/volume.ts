import "server-only";

import fs from "node:fs/promises";
import path from "node:path";

import { SandboxError } from "./errors";
import { runHostCommand, runHostCommandOk } from "./host-command";
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

/**
 * A volume of `capBytes` at `<root>/vol` (image `<root>/vol.img`). Refuses when the host could not hold it next to
 * the volumes already promised, so that parallel attempts cannot together fill the host either.
 */
export async function createVolume(opts: { root: string; capBytes: number | null }): Promise<Volume> {
  const dir = path.join(opts.root, "vol");
  const image = path.join(opts.root, "vol.img");
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const can = await detectVolumeSupport();
  if (!can.ok || opts.capBytes === null) return plainVolume(dir);

  const cap = opts.capBytes;
  const host = await statfsBytes(opts.root);
  const promised = await promisedBytes();
  if (host.free - promised < cap + HOST_RESERVE_BYTES) {
    const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
    throw new DiskFullError(
      `The runner's disk is too full for another attempt: it needs ${gib(cap)} (the disk cap), ${gib(Math.max(0, host.free - promised))} is left after the attempts already running.`,
    );
  }
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
  const volume: Volume = {
    dir,
    capBytes: cap,
    async usage() {
      const s = await fs.statfs(dir).catch(() => null);
      if (!s) return null;
      return { usedBytes: (s.blocks - s.bfree) * s.bsize, freeBytes: s.bavail * s.bsize };
    },
    async seal() {
      await runHostCommandOk("/usr/bin/mount", ["-o", "remount,ro", dir], { timeoutMs: MKFS_TIMEOUT_MS });
      live.delete(dir);
      destroyed = true;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(dir);
      await unmount(dir);
      await fs.rm(image, { force: true });
      await fs.rmdir(dir).catch(() => undefined);
    },
  };
  live.set(dir, volume);
  return volume;
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
