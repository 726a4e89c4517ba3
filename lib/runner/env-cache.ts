import "server-only";
import fs from "node:fs/promises";
import path from "node:path";
import { spawnViaHelper } from "@/lib/sandbox/spawner";
import { createVolume, isMountPoint, unmount } from "@/lib/sandbox/volume";

/**
 * Cached environments on a runner's disk. An entry is the checkout right after setup (dependencies and all) on a
 * filesystem image of its own, mounted read-only: attempts mount it as the read-only lower layer of an overlay
 * whose upper layer is in their own volume, so they start without setup, in milliseconds, and write only what
 * they change. Setup runs straight into a new entry's image (no copy), Best-of-N attempts of one key wait for
 * one build, and entries go by TTL, by Reset cache (a newer generation) and by LRU past the disk budget.
 *
 *   <dataDir>/cache/<environmentId>/<key>/vol.img      the image (sparse), mounted read-only at vol/
 *   <dataDir>/cache/<environmentId>/<key>/vol/tree     the prepared checkout (the overlay's lower layer)
 *   <dataDir>/cache/<environmentId>/<key>/vol/git      its git dir (index with the tree's stat data)
 *   <dataDir>/cache/<environmentId>/<key>/prepared.git the prepared state as a commit (verified by index-pack)
 *   <dataDir>/cache/<environmentId>/<key>/meta.json    written by the runner (never by a sandbox)
 */

export type CacheMeta = {
  key: string;
  /**
   * "environment": the checkout after an environment's setup. "base": a repository's checkout at a commit, no
   * setup (shared by every attempt on that commit: the repository's own content, read-only).
   */
  kind?: "environment" | "base";
  /** Same scripts, variables, secrets and generation, any base commit: the maintenance path reuses these. */
  familyKey: string;
  environmentId: string;
  generation: number;
  baseCommit: string;
  preparedCommit: string;
  createdAt: number;
  sizeBytes: number;
};

export type CacheEntry = CacheMeta & { root: string; mount: string; tree: string; gitDir: string; repo: string };

export const PREPARED_REF = "refs/patchbay/prepared";

const KEY = /^[0-9a-f]{16,64}$/;
/** A half-built entry younger than this is left alone (setup scripts may run up to an hour). */
const BUILD_GRACE_MS = 2 * 3600_000;
const UUID = /^[0-9a-f-]{36}$/;
/** The namespace of base checkouts (no environment). */
export const BASE_NAMESPACE = "base";
const isNamespace = (n: string) => UUID.test(n) || n === BASE_NAMESPACE;

function cacheRoot(dataDir: string): string {
  return path.join(dataDir, "cache");
}

function entryPaths(dataDir: string, environmentId: string, key: string) {
  if (!isNamespace(environmentId) || !KEY.test(key)) throw new Error("bad cache entry name");
  const root = path.join(cacheRoot(dataDir), environmentId, key);
  const mount = path.join(root, "vol");
  return { root, mount, tree: path.join(mount, "tree"), gitDir: path.join(mount, "git"), repo: path.join(root, "prepared.git"), meta: path.join(root, "meta.json") };
}

async function readMeta(file: string): Promise<CacheMeta | null> {
  try {
    const meta = JSON.parse(await fs.readFile(file, "utf8")) as CacheMeta;
    return typeof meta.key === "string" && typeof meta.preparedCommit === "string" ? meta : null;
  } catch {
    return null;
  }
}

/** Attempts using an entry right now (never evicted meanwhile), and builds in progress, by key. */
const inUse = new Map<string, number>();
const building = new Map<string, Promise<CacheEntry | null>>();

export function holdEntry(entry: CacheEntry): () => void {
  inUse.set(entry.key, (inUse.get(entry.key) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = (inUse.get(entry.key) ?? 1) - 1;
    if (n <= 0) inUse.delete(entry.key);
    else inUse.set(entry.key, n);
  };
}

/** Mounts in progress, by mount point: two attempts opening one entry at once must not mount it twice. */
const mounting = new Map<string, Promise<boolean>>();

/** Makes sure a (read-only) entry is mounted; null when its files are gone or broken. */
async function openEntry(dataDir: string, meta: CacheMeta): Promise<CacheEntry | null> {
  const p = entryPaths(dataDir, meta.environmentId, meta.key);
  let pending = mounting.get(p.mount);
  if (!pending) {
    pending = ensureMounted(p.root, p.mount);
    mounting.set(p.mount, pending);
    void pending.finally(() => mounting.delete(p.mount));
  }
  if (!(await pending)) return null;
  await fs.utimes(p.meta, new Date(), new Date()).catch(() => undefined); // last used, for LRU
  return { ...meta, root: p.root, mount: p.mount, tree: p.tree, gitDir: p.gitDir, repo: p.repo };
}

async function ensureMounted(root: string, mount: string): Promise<boolean> {
  if (!(await isMountPoint(mount))) {
    const image = path.join(root, "vol.img");
    if (!(await fs.stat(image).then(() => true, () => false))) return false;
    const mounted = await spawnViaHelper({ file: "/usr/bin/mount", args: ["-t", "ext4", "-o", "loop,ro,nosuid,nodev,noatime", image, mount], timeoutMs: 30_000 });
    if (mounted.code !== 0) return false;
  }
  return true;
}

/** The entry of exactly this key, when fresh. */
export async function findEntry(opts: { dataDir: string; environmentId: string; key: string; ttlMs: number }): Promise<CacheEntry | null> {
  await building.get(opts.key)?.catch(() => null); // a Best-of-N sibling is building it: wait
  const p = entryPaths(opts.dataDir, opts.environmentId, opts.key);
  const meta = await readMeta(p.meta);
  if (!meta || Date.now() - meta.createdAt > opts.ttlMs) return null;
  return openEntry(opts.dataDir, meta);
}

/** The newest fresh entry of a family (same environment settings, another base commit). */
export async function newestOfFamily(opts: { dataDir: string; environmentId: string; familyKey: string; ttlMs: number }): Promise<CacheEntry | null> {
  const dir = path.join(cacheRoot(opts.dataDir), opts.environmentId);
  const keys = await fs.readdir(dir).catch(() => [] as string[]);
  const metas = (await Promise.all(keys.filter((k) => KEY.test(k)).map((k) => readMeta(path.join(dir, k, "meta.json")))))
    .filter((m): m is CacheMeta => m !== null && m.familyKey === opts.familyKey && Date.now() - m.createdAt <= opts.ttlMs)
    .sort((a, b) => b.createdAt - a.createdAt);
  for (const meta of metas) {
    const entry = await openEntry(opts.dataDir, meta);
    if (entry) return entry;
  }
  return null;
}

export type BuildTarget = { root: string; mount: string; tree: string; gitDir: string; repo: string };

/**
 * Builds the entry of a key: an image mounted read-write, `build` fills it (checkout, setup in a sandbox, the
 * prepared commit into `repo`), then it is remounted read-only and described in meta.json. One build per key at a
 * time: a second caller waits for the first and gets its entry. A failed build leaves nothing.
 */
export async function buildEntry(opts: {
  dataDir: string;
  meta: Omit<CacheMeta, "createdAt" | "sizeBytes" | "preparedCommit">;
  capBytes: number | null;
  build: (target: BuildTarget) => Promise<{ preparedCommit: string }>;
}): Promise<CacheEntry> {
  const running = building.get(opts.meta.key);
  if (running) {
    const entry = await running.catch(() => null);
    if (entry) return entry;
  }
  const job = (async () => {
    const p = entryPaths(opts.dataDir, opts.meta.environmentId, opts.meta.key);
    await removeEntryFiles(p.root);
    await fs.mkdir(p.root, { recursive: true, mode: 0o755 });
    const volume = await createVolume({ root: p.root, capBytes: opts.capBytes });
    try {
      const { preparedCommit } = await opts.build({ root: p.root, mount: p.mount, tree: p.tree, gitDir: p.gitDir, repo: p.repo });
      const s = await fs.statfs(p.mount);
      const sizeBytes = (s.blocks - s.bfree) * s.bsize;
      await volume.seal();
      const meta: CacheMeta = { ...opts.meta, preparedCommit, createdAt: Date.now(), sizeBytes };
      await fs.writeFile(p.meta, JSON.stringify(meta), { mode: 0o644 });
      return { ...meta, root: p.root, mount: p.mount, tree: p.tree, gitDir: p.gitDir, repo: p.repo };
    } catch (err) {
      await volume.destroy().catch(() => undefined);
      await removeEntryFiles(p.root);
      throw err;
    }
  })();
  building.set(opts.meta.key, job);
  try {
    return await job;
  } finally {
    if (building.get(opts.meta.key) === job) building.delete(opts.meta.key);
  }
}

async function removeEntryFiles(root: string): Promise<void> {
  await unmount(path.join(root, "vol"));
  await fs.rm(root, { recursive: true, force: true, maxRetries: 2 });
}

/**
 * Drops entries nobody uses that are past their TTL, of an older generation (Reset cache) or, oldest use first,
 * beyond the disk budget. Returns the keys removed.
 */
export async function evictEntries(opts: {
  dataDir: string;
  ttlMs: number;
  maxBytes: number;
  currentGeneration: (environmentId: string) => Promise<number | null>;
}): Promise<string[]> {
  const root = cacheRoot(opts.dataDir);
  const envs = await fs.readdir(root).catch(() => [] as string[]);
  const entries: Array<{ meta: CacheMeta | null; root: string; key: string; usedAt: number }> = [];
  for (const env of envs.filter(isNamespace)) {
    for (const key of (await fs.readdir(path.join(root, env)).catch(() => [] as string[])).filter((k) => KEY.test(k))) {
      const dir = path.join(root, env, key);
      const meta = await readMeta(path.join(dir, "meta.json"));
      const usedAt = (await fs.stat(path.join(dir, "meta.json")).catch(() => null))?.mtimeMs ?? 0;
      // No meta yet: being built (maybe by another runner process on this machine) unless it is old.
      if (!meta && Date.now() - ((await fs.stat(dir).catch(() => null))?.mtimeMs ?? 0) < BUILD_GRACE_MS) continue;
      entries.push({ meta, root: dir, key, usedAt });
    }
  }
  const removed: string[] = [];
  const generations = new Map<string, number | null>();
  const keep: typeof entries = [];
  for (const e of entries) {
    if (inUse.has(e.key) || building.has(e.key)) continue;
    let stale = !e.meta || Date.now() - e.meta.createdAt > opts.ttlMs;
    if (!stale && e.meta) {
      if (!generations.has(e.meta.environmentId)) {
        const current = e.meta.environmentId === BASE_NAMESPACE ? 0 : await opts.currentGeneration(e.meta.environmentId);
        generations.set(e.meta.environmentId, current);
      }
      const current = generations.get(e.meta.environmentId);
      stale = current === null || current !== e.meta.generation;
    }
    if (stale) {
      await removeEntryFiles(e.root);
      removed.push(e.key);
    } else keep.push(e);
  }
  let total = keep.reduce((n, e) => n + (e.meta?.sizeBytes ?? 0), 0);
  for (const e of keep.sort((a, b) => a.usedAt - b.usedAt)) {
    if (total <= opts.maxBytes) break;
    if (inUse.has(e.key)) continue;
    await removeEntryFiles(e.root);
    removed.push(e.key);
    total -= e.meta?.sizeBytes ?? 0;
  }
  return removed;
}
