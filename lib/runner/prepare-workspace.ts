import "server-only";
import os from "node:os";
import fs from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import type { DbHandle } from "@/db";
import { cacheGenerationOf, deleteCacheRows, touchCacheRow, upsertCacheRow } from "@/db/queries/environments";
import type { EnvironmentRow } from "@/db/queries/environments";
import { keyedDigest } from "@/lib/crypto";
import { readSecrets } from "@/lib/environments/environments";
import type { AttemptEventWriter } from "@/lib/events/writer";
import type { SandboxOptions } from "@/lib/sandbox";
import { detectVolumeSupport, unmount } from "@/lib/sandbox/volume";
import type { RunnerConfig } from "./config";
import { closePhaseNetwork, openPhaseNetwork, setupPolicy } from "./egress";
import { BASE_NAMESPACE, buildEntry, evictEntries, findEntry, holdEntry, newestOfFamily, PREPARED_REF, type CacheEntry } from "./env-cache";
import { git } from "./git";
import { moveToCommit, PhaseFailure, restoreSnapshot, runSetupScript } from "./setup-phase";
import { takeSnapshot } from "./snapshot";
import { createCheckout, createGitDir, fetchRestoreRef, mirrorObjectsEnv, NO_TEMPLATE, type AttemptWorkspace, type CheckoutTarget } from "./workspace";
import { unsearchableAncestor } from "@/lib/sandbox/host-user";
import { spawnViaHelperOk } from "@/lib/sandbox/spawner";

type SandboxBase = Omit<SandboxOptions, "mode" | "network" | "env">;
type HostUser = { uid: number; gid: number } | null;

/**
 * The workspace of a turn, ready for the agent: the checkout of the base commit in the turn's own volume, after
 * the environment's setup, with the previous turn's snapshot restored for a follow-up.
 *
 * With a setup script the prepared checkout comes from the environment cache (lib/runner/env-cache.ts): reused
 * as an overlay's read-only lower layer when its key matches (no setup at all); built by running setup straight
 * into a new entry when none does; or, when only the base commit moved, the newest entry of the environment with
 * the new commit checked out on top and the maintenance script run instead of setup. `preparedCommit` is then the
 * checkout right after setup: the diff is what the agent changed over it, never what setup produced.
 */
export type PreparedWorkspace = {
  preparedCommit: string | null;
  /**
   * For the turn's snapshot over a cache entry: binds of the entry's index (/prepared) and objects
   * (/prepared-objects), and the entry's commit, whose objects the snapshot's pack may leave out.
   */
  snapshot: { binds: NonNullable<SandboxOptions["extraReadOnlyBinds"]>; exclude: string | null };
  /** Unmounts the overlay and lets go of the cache entry (before the turn's volume goes). */
  release(): Promise<void>;
};

export class WorkspaceUnreachable extends PhaseFailure {}

/** Makes checkouts the sandbox user's, so that commands inside can write them and git sees repos it owns. */
export async function handToSandboxUser(paths: string[], root: string, user: HostUser): Promise<void> {
  if (!user) return;
  await spawnViaHelperOk("chown", ["-R", "-h", `${user.uid}:${user.gid}`, ...paths], { timeoutMs: 5 * 60_000 });
  await fs.chmod(root, 0o755);
  // The sandbox user must be able to walk down to the checkout (a data folder under /root, mode 700, cannot).
  const blocked = await unsearchableAncestor(root, user);
  if (blocked) {
    throw new WorkspaceUnreachable(
      "workspace_unreachable",
      `The sandbox user cannot reach the workspaces: ${blocked} is not searchable by others. ` +
        `Set PATCHBAY_DATA_DIR to a folder outside it, or run chmod o+x ${blocked}.`,
    );
  }
}

/** Names a prepared environment after everything that shapes it (secrets only through a keyed digest). */
function cacheKeys(environment: EnvironmentRow, baseCommit: string): { key: string; familyKey: string } {
  const secrets = readSecrets(environment);
  const family = [
    environment.id,
    String(environment.cacheGeneration),
    environment.setupScript,
    environment.maintenanceScript,
    JSON.stringify(Object.entries(environment.envVars).sort()),
    JSON.stringify(Object.entries(secrets).sort()),
    environment.setupInternetPolicy,
    environment.allowlistPreset,
    JSON.stringify([...environment.allowedDomains].sort()),
  ];
  const familyKey = keyedDigest(family).slice(0, 32);
  return { familyKey, key: keyedDigest([...family, baseCommit]).slice(0, 32) };
}

export async function prepareWorkspace(opts: {
  handle: DbHandle;
  config: RunnerConfig;
  ws: AttemptWorkspace;
  mirror: string;
  baseCommit: string;
  /** "owner/repo@branch", for the log. */
  label: string;
  repoFullName: string;
  restore: boolean;
  environment: EnvironmentRow | null;
  sandboxUser: HostUser;
  /** Sandbox options for this turn's checkout (ws.tree, ws.gitDir, the turn's cgroup and scratch). */
  sandboxBase: SandboxBase;
  events: AttemptEventWriter;
  signal: AbortSignal;
  onSetup: () => Promise<void>;
  /** Test setup: run the setup script itself in this attempt's checkout, never from (or into) the cache. */
  fresh?: boolean;
}): Promise<PreparedWorkspace> {
  const { ws, environment, events } = opts;
  await fs.mkdir(ws.scratch, { recursive: true, mode: 0o711 });
  const started = Date.now();
  const note = (text: string) => events.append("log", { chunkId: "setup", stream: "system", text: `${text}\n` });

  const volumes = (await detectVolumeSupport()).ok;
  if (!environment?.setupScript.trim()) {
    if (volumes) return baseCheckout(opts, started, note);
    await createCheckout({ mirror: opts.mirror, target: ws, commit: opts.baseCommit });
    await handToSandboxUser([ws.tree, ws.gitDir], ws.root, opts.sandboxUser);
    await note(`Checked out ${opts.label} (${opts.baseCommit.slice(0, 7)}) in ${Date.now() - started} ms`);
    return finish(opts, null, null, async () => undefined);
  }

  // Without mounts (a runner that is not root) there is no cache: setup runs in the attempt's own checkout, and the
  // prepared state is still staged so that setup's files stay out of the diff.
  if (opts.fresh) {
    await createCheckout({ mirror: opts.mirror, target: ws, commit: opts.baseCommit });
    await handToSandboxUser([ws.tree, ws.gitDir], ws.root, opts.sandboxUser);
    await note(`Checked out ${opts.label} (${opts.baseCommit.slice(0, 7)}) in ${Date.now() - started} ms; testing the setup script`);
    await opts.onSetup();
    await runPhaseScript(opts, environment, opts.sandboxBase, "setup");
    return finish(opts, null, null, async () => undefined);
  }
  if (!volumes) {
    await createCheckout({ mirror: opts.mirror, target: ws, commit: opts.baseCommit });
    await handToSandboxUser([ws.tree, ws.gitDir], ws.root, opts.sandboxUser);
    await note(`Checked out ${opts.label} (${opts.baseCommit.slice(0, 7)}) in ${Date.now() - started} ms (no environment cache: it needs a runner that runs as root)`);
    await opts.onSetup();
    await runPhaseScript(opts, environment, opts.sandboxBase, "setup");
    const prepared = await takeSnapshot({ sandboxBase: opts.sandboxBase, hostRepo: ws.hostRepo, ref: PREPARED_REF, baseCommit: opts.baseCommit, signal: opts.signal });
    return finish(opts, prepared.commit, null, async () => undefined);
  }

  const { key, familyKey } = cacheKeys(environment, opts.baseCommit);
  const ttlMs = opts.config.cache.ttlMs;
  let entry = await findEntry({ dataDir: opts.config.dataDir, environmentId: environment.id, key, ttlMs });
  let preparedCommit: string | null = null;
  let how: string;
  if (entry) {
    how = `Using the prepared environment (cached ${ago(entry.createdAt)}; setup skipped)`;
  } else {
    const older = await newestOfFamily({ dataDir: opts.config.dataDir, environmentId: environment.id, familyKey, ttlMs });
    const maintained = older ? await tryMaintenance(opts, older) : null;
    if (maintained) {
      await note(
        `Checked out ${opts.label} (${opts.baseCommit.slice(0, 7)}) over the environment prepared at ${older!.baseCommit.slice(0, 7)}; ran the maintenance script instead of setup`,
      );
      return maintained;
    }
    await opts.onSetup();
    entry = await buildEntry({
      dataDir: opts.config.dataDir,
      capBytes: opts.config.sandbox.attempt.diskBytes,
      meta: { key, familyKey, environmentId: environment.id, generation: environment.cacheGeneration, baseCommit: opts.baseCommit },
      build: (target) => buildPrepared(opts, environment, target),
    });
    how = entry.createdAt >= started ? "Prepared the environment (setup ran; cached for the next attempts)" : `Using the environment another attempt just prepared`;
    await upsertCacheRow(opts.handle.db, { environmentId: environment.id, runnerHost: os.hostname(), cacheKey: key, baseCommit: opts.baseCommit, sizeBytes: entry.sizeBytes }).catch(() => undefined);
  }
  await touchCacheRow(opts.handle.db, os.hostname(), key).catch(() => undefined);
  const release = holdEntry(entry);
  // Held now: a new entry may push older ones out of the budget, never this one.
  void evictEntries({
    dataDir: opts.config.dataDir,
    ttlMs,
    maxBytes: opts.config.cache.maxBytes,
    currentGeneration: (id) => cacheGenerationOf(opts.handle.db, id),
  })
    .then((removed) => deleteCacheRows(opts.handle.db, os.hostname(), removed))
    .catch(() => undefined);
  try {
    const unmountOverlay = await mountOverlay(opts, entry, opts.baseCommit);
    // The prepared state's objects are borrowed, not copied (a prepared node_modules is megabytes).
    await borrowObjects(ws.hostRepo, entry);
    await git(["update-ref", PREPARED_REF, entry.preparedCommit], { gitDir: ws.hostRepo });
    preparedCommit = entry.preparedCommit;
    await note(`Checked out ${opts.label} (${opts.baseCommit.slice(0, 7)}). ${how} in ${Date.now() - started} ms`);
    return finish(opts, preparedCommit, entry, async () => {
      await unmountOverlay();
      release();
    });
  } catch (err) {
    release();
    throw err;
  }
}

function ago(at: number): string {
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

/** What the snapshot of a turn over `entry` binds and may leave out of its pack. */
function snapshotOver(entry: CacheEntry | null): PreparedWorkspace["snapshot"] {
  if (!entry) return { binds: [], exclude: null };
  // A base checkout: its index describes the lower layer's files; its objects are the mirror's.
  if (entry.kind === "base") return { binds: [{ hostPath: path.join(entry.mount, "prepared"), sandboxPath: "/prepared" }], exclude: null };
  return {
    binds: [
      { hostPath: path.join(entry.mount, "prepared"), sandboxPath: "/prepared" },
      { hostPath: path.join(entry.repo, "objects"), sandboxPath: "/prepared-objects" },
    ],
    exclude: entry.preparedCommit,
  };
}

/** The host repository reads the entry's objects through alternates while the turn runs (see returnObjects). */
async function borrowObjects(hostRepo: string, entry: CacheEntry): Promise<void> {
  const file = path.join(hostRepo, "objects", "info", "alternates");
  const lines = (await fs.readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean);
  const objects = path.join(entry.repo, "objects");
  if (!lines.includes(objects)) await fs.writeFile(file, [...lines, objects].join("\n") + "\n");
}

/**
 * Before a cache entry may go, the host repository keeps its own copy of whatever the turn's result needs
 * (`keep`: commits whose objects not reachable from the base are packed locally), then stops borrowing.
 */
export async function returnObjects(hostRepo: string, opts: { base: string; keep: string[] }): Promise<void> {
  const file = path.join(hostRepo, "objects", "info", "alternates");
  const lines = (await fs.readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean);
  const borrowed = lines.filter((l) => l.includes(`${path.sep}cache${path.sep}`));
  if (borrowed.length === 0) return;
  if (opts.keep.length) {
    // pack-objects reads through the alternates while index-pack stores a local copy; then the alternate goes.
    const pipe = new PassThrough();
    const stored = git(["index-pack", "--stdin"], { gitDir: hostRepo, stdinStream: pipe, timeoutMs: 5 * 60_000 });
    await git(["pack-objects", "--revs", "--stdout", "-q"], {
      gitDir: hostRepo,
      input: `${opts.keep.join("\n")}\n^${opts.base}\n`,
      stdoutSink: pipe,
      timeoutMs: 5 * 60_000,
    }).catch((err: unknown) => {
      pipe.destroy();
      throw err;
    });
    await stored;
  }
  await fs.writeFile(file, lines.filter((l) => !borrowed.includes(l)).join("\n") + "\n");
  await git(["update-ref", "-d", PREPARED_REF], { gitDir: hostRepo }).catch(() => undefined);
}

/** The follow-up's restore, then the workspace is the agent's. */
async function finish(
  opts: Parameters<typeof prepareWorkspace>[0],
  preparedCommit: string | null,
  entry: CacheEntry | null,
  release: () => Promise<void>,
): Promise<PreparedWorkspace> {
  try {
    if (opts.restore) {
      await fetchRestoreRef({ gitDir: opts.ws.gitDir, hostRepo: opts.ws.hostRepo, mirror: opts.mirror });
      await restoreSnapshot({ sandboxBase: opts.sandboxBase, signal: opts.signal });
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { preparedCommit, snapshot: snapshotOver(entry), release };
}

/**
 * The attempt's checkout over a cache entry: lower = the entry's prepared tree (read-only), upper and work dirs in
 * the turn's volume, merged at ws.tree. Returns the unmount.
 */
async function mountOverlay(opts: Parameters<typeof prepareWorkspace>[0], entry: CacheEntry, commit: string): Promise<() => Promise<void>> {
  const { ws } = opts;
  const upper = path.join(ws.volume, "upper");
  const work = path.join(ws.volume, "work");
  for (const dir of [upper, work, ws.tree]) {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { mode: 0o755 });
  }
  await createGitDir({ mirror: opts.mirror, gitDir: ws.gitDir, commit, indexFrom: entry.baseCommit === commit ? entry.gitDir : undefined });
  await handToSandboxUser([upper, ws.gitDir], ws.root, opts.sandboxUser);
  await spawnViaHelperOk(
    "/usr/bin/mount",
    ["-t", "overlay", "overlay", "-o", `lowerdir=${entry.tree},upperdir=${upper},workdir=${work},nosuid,nodev`, ws.tree],
    { timeoutMs: 30_000 },
  );
  return () => unmount(ws.tree);
}

/** Fills a new cache entry: checkout, setup (in a sandbox, through the egress proxy), the prepared commit. */
async function buildPrepared(opts: Parameters<typeof prepareWorkspace>[0], environment: EnvironmentRow, target: CheckoutTarget & { root: string; mount: string; repo: string }) {
  await createCheckout({ mirror: opts.mirror, target, commit: opts.baseCommit });
  await handToSandboxUser([target.tree, target.gitDir], target.root, opts.sandboxUser);
  await git(["init", "--bare", "-q", NO_TEMPLATE, target.repo]);
  await fs.chmod(target.repo, 0o700);
  await fs.writeFile(path.join(target.repo, "objects", "info", "alternates"), `${path.join(opts.mirror, "objects")}\n`);
  const base: SandboxBase = { ...opts.sandboxBase, workspaceDir: target.tree, extraReadOnlyBinds: [{ hostPath: target.gitDir, sandboxPath: "/workspace-git" }] };
  await runPhaseScript(opts, environment, base, "setup");
  // The prepared state as a commit, and the index describing its files (for the attempts' snapshots).
  const out = path.join(target.mount, "prepared");
  await fs.mkdir(out, { mode: 0o755 });
  await handToSandboxUser([out], target.root, opts.sandboxUser);
  const prepared = await takeSnapshot({
    sandboxBase: { ...base, extraReadOnlyBinds: [...(base.extraReadOnlyBinds ?? []), { hostPath: out, sandboxPath: "/prepared-out", writable: true }] },
    hostRepo: target.repo,
    ref: PREPARED_REF,
    baseCommit: opts.baseCommit,
    signal: opts.signal,
  });
  // Attempts' sandboxes read these objects (bound read-only at /prepared-objects).
  await spawnViaHelperOk("chmod", ["-R", "go+rX", target.repo], { timeoutMs: 60_000 });
  return { preparedCommit: prepared.commit };
}

async function runPhaseScript(opts: Parameters<typeof prepareWorkspace>[0], environment: EnvironmentRow, sandboxBase: SandboxBase, which: "setup" | "maintenance") {
  const network = await openPhaseNetwork({ config: opts.config, workspace: opts.ws, phase: "setup", policy: setupPolicy(environment), events: opts.events });
  try {
    await runSetupScript({ environment, sandboxBase, network, events: opts.events, signal: opts.signal, which });
  } finally {
    await closePhaseNetwork(network, opts.events, "setup");
  }
}

/**
 * The maintenance path: the newest entry of the environment, the new base commit checked out on top of it, the
 * maintenance script, and the prepared state staged for this attempt. Null when the move does not apply cleanly.
 */
async function tryMaintenance(opts: Parameters<typeof prepareWorkspace>[0], older: CacheEntry): Promise<PreparedWorkspace | null> {
  const release = holdEntry(older);
  let unmountOverlay: (() => Promise<void>) | null = null;
  try {
    unmountOverlay = await mountOverlay(opts, older, older.baseCommit);
    const moved = await moveToCommit({ sandboxBase: opts.sandboxBase, from: older.baseCommit, to: opts.baseCommit, signal: opts.signal });
    if (!moved) {
      await unmountOverlay();
      release();
      return null;
    }
    // The git dir follows the move (HEAD and index at the new commit; the index without stat data).
    await git(["update-ref", "--no-deref", "HEAD", opts.baseCommit], { gitDir: opts.ws.gitDir, env: mirrorObjectsEnv(opts.mirror) });
    await git(["read-tree", opts.baseCommit], { gitDir: opts.ws.gitDir, env: mirrorObjectsEnv(opts.mirror) });
    if (opts.environment!.maintenanceScript.trim()) await runPhaseScript(opts, opts.environment!, opts.sandboxBase, "maintenance");
    await borrowObjects(opts.ws.hostRepo, older);
    const over = snapshotOver(older);
    const prepared = await takeSnapshot({
      sandboxBase: { ...opts.sandboxBase, extraReadOnlyBinds: [...(opts.sandboxBase.extraReadOnlyBinds ?? []), ...over.binds] },
      hostRepo: opts.ws.hostRepo,
      ref: PREPARED_REF,
      baseCommit: opts.baseCommit,
      preparedCommit: older.preparedCommit,
      signal: opts.signal,
    });
    const unmountNow = unmountOverlay;
    return await finish(opts, prepared.commit, older, async () => {
      await unmountNow();
      release();
    });
  } catch (err) {
    await unmountOverlay?.().catch(() => undefined);
    release();
    throw err;
  }
}

/**
 * A repository without setup: its checkout at the base commit is itself a cache entry (shared read-only by every
 * attempt on that commit), so an attempt writes only what it changes and starts without writing the tree. When
 * the commit is new, the newest checkout of the repository is moved to it (the files that changed); else one is
 * made.
 */
async function baseCheckout(
  opts: Parameters<typeof prepareWorkspace>[0],
  started: number,
  note: (text: string) => Promise<void>,
): Promise<PreparedWorkspace> {
  const dataDir = opts.config.dataDir;
  const ttlMs = opts.config.cache.ttlMs;
  const { familyKey, key } = baseKeys(opts.repoFullName, opts.baseCommit);
  let entry = await findEntry({ dataDir, environmentId: BASE_NAMESPACE, key, ttlMs });
  if (!entry) {
    const older = await newestOfFamily({ dataDir, environmentId: BASE_NAMESPACE, familyKey, ttlMs });
    if (older) {
      const release = holdEntry(older);
      try {
        const unmountOverlay = await mountOverlay(opts, older, older.baseCommit);
        if (await moveToCommit({ sandboxBase: opts.sandboxBase, from: older.baseCommit, to: opts.baseCommit, signal: opts.signal })) {
          const g = { gitDir: opts.ws.gitDir, env: mirrorObjectsEnv(opts.mirror) };
          await git(["update-ref", "--no-deref", "HEAD", opts.baseCommit], g);
          await git(["read-tree", opts.baseCommit], g);
          await note(`Checked out ${opts.label} (${opts.baseCommit.slice(0, 7)}) over the checkout of ${older.baseCommit.slice(0, 7)} in ${Date.now() - started} ms`);
          return finish(opts, null, older, async () => {
            await unmountOverlay();
            release();
          });
        }
        await unmountOverlay();
        release();
      } catch (err) {
        release();
        throw err;
      }
    }
    entry = await buildBaseEntry({ config: opts.config, mirror: opts.mirror, repoFullName: opts.repoFullName, commit: opts.baseCommit, sandboxUser: opts.sandboxUser });
  }
  const release = holdEntry(entry);
  try {
    const unmountOverlay = await mountOverlay(opts, entry, opts.baseCommit);
    await note(`Checked out ${opts.label} (${opts.baseCommit.slice(0, 7)}) in ${Date.now() - started} ms`);
    return finish(opts, null, entry, async () => {
      await unmountOverlay();
      release();
    });
  } catch (err) {
    release();
    throw err;
  }
}

function baseKeys(repoFullName: string, commit: string) {
  return { familyKey: keyedDigest(["base", repoFullName]).slice(0, 32), key: keyedDigest(["base", repoFullName, commit]).slice(0, 32) };
}

/** The repository's checkout at `commit` as a cache entry (made when missing; a build in progress is awaited). */
export async function buildBaseEntry(opts: { config: RunnerConfig; mirror: string; repoFullName: string; commit: string; sandboxUser: HostUser }): Promise<CacheEntry> {
  const { key, familyKey } = baseKeys(opts.repoFullName, opts.commit);
  const found = await findEntry({ dataDir: opts.config.dataDir, environmentId: BASE_NAMESPACE, key, ttlMs: opts.config.cache.ttlMs });
  if (found) return found;
  return buildEntry({
    dataDir: opts.config.dataDir,
    capBytes: opts.config.sandbox.attempt.diskBytes,
    meta: { key, familyKey, kind: "base", environmentId: BASE_NAMESPACE, generation: 0, baseCommit: opts.commit },
    build: async (target) => {
      await createCheckout({ mirror: opts.mirror, target, commit: opts.commit });
      await handToSandboxUser([target.tree, target.gitDir], target.root, opts.sandboxUser);
      const out = path.join(target.mount, "prepared");
      await fs.mkdir(out, { mode: 0o755 });
      await fs.copyFile(path.join(target.gitDir, "index"), path.join(out, "index"));
      await fs.chmod(path.join(out, "index"), 0o644);
      return { preparedCommit: opts.commit };
    },
  });
}

/**
 * Warm start (a repository picked in the composer): the environment's prepared entry for this commit mounted, or —
 * without setup — the repository's checkout made, so that the submit that follows starts at once. Never runs a
 * setup script (that is a task's to run, with its log).
 */
export async function warmEntries(opts: {
  config: RunnerConfig;
  mirror: string;
  repoFullName: string;
  commit: string;
  environment: EnvironmentRow | null;
  sandboxUser: HostUser;
}): Promise<"base" | "environment" | "none"> {
  if (!(await detectVolumeSupport()).ok) return "none";
  if (!opts.environment?.setupScript.trim()) {
    await buildBaseEntry(opts);
    return "base";
  }
  const { key } = cacheKeys(opts.environment, opts.commit);
  const entry = await findEntry({ dataDir: opts.config.dataDir, environmentId: opts.environment.id, key, ttlMs: opts.config.cache.ttlMs });
  return entry ? "environment" : "none";
}
