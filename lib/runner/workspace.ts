import "server-only";
import fs from "node:fs/promises";
import path from "node:path";
import { unmount } from "@/lib/sandbox/volume";
import { git } from "./git";

/**
 * Workspaces on the runner's disk:
 *   <dataDir>/mirrors/<owner>/<repo>.git     a bare mirror per repository, fetched (never re-cloned) per task
 *   <dataDir>/work/<attemptId>/host.git      Patchbay's own repository of the attempt (root only, never bound into a
 *                                            sandbox): objects of the mirror via alternates, the snapshot of each
 *                                            turn (imported as a verified pack), the PR branch. PRs and cited files
 *                                            are served from here.
 *   <dataDir>/work/<attemptId>/vol           the attempt's disk volume (vol.img, capped), only while a turn runs:
 *     tree/      the checkout, bound into the sandbox at /workspace
 *     git/       its git dir, outside the checkout, read-only in every sandbox (/workspace-git)
 *     scratch/   each sandbox's private /tmp
 */
export type AttemptWorkspace = { root: string; volume: string; tree: string; gitDir: string; scratch: string; hostRepo: string };

const mirrorLocks = new Map<string, Promise<unknown>>();

function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = mirrorLocks.get(key) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  mirrorLocks.set(key, next);
  void next.finally(() => {
    if (mirrorLocks.get(key) === next) mirrorLocks.delete(key);
  });
  return next;
}

export function mirrorPath(dataDir: string, repoFullName: string): string {
  const [owner, repo] = repoFullName.split("/");
  if (!owner || !repo || owner.includes("..") || repo.includes("..")) throw new Error(`bad repository name ${repoFullName}`);
  return path.join(dataDir, "mirrors", owner, `${repo}.git`);
}

export function attemptWorkspace(dataDir: string, attemptId: string): AttemptWorkspace {
  if (!/^[0-9a-f-]{36}$/.test(attemptId)) throw new Error("bad attempt id");
  const root = path.join(dataDir, "work", attemptId);
  const volume = path.join(root, "vol");
  return {
    root,
    volume,
    tree: path.join(volume, "tree"),
    gitDir: path.join(volume, "git"),
    scratch: path.join(volume, "scratch"),
    hostRepo: path.join(root, "host.git"),
  };
}

function authConfig(token: string): Record<string, string> {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return { "http.extraHeader": `Authorization: Basic ${basic}` };
}

/** Creates the mirror on first use, then fetches every branch into it. The token travels in the environment. */
export async function syncMirror(opts: { dataDir: string; repoFullName: string; remoteUrl: string; token: string }): Promise<string> {
  const dir = mirrorPath(opts.dataDir, opts.repoFullName);
  return withLock(dir, async () => {
    const exists = await fs
      .stat(path.join(dir, "HEAD"))
      .then(() => true)
      .catch(() => false);
    if (!exists) {
      await fs.mkdir(dir, { recursive: true });
      await git(["init", "--bare", "-q", dir]);
    }
    await git(["fetch", "--prune", "--no-tags", "-q", opts.remoteUrl, "+refs/heads/*:refs/heads/*"], {
      gitDir: dir,
      config: authConfig(opts.token),
      timeoutMs: 10 * 60_000,
    });
    return dir;
  });
}

export async function resolveCommit(mirror: string, branch: string): Promise<string | null> {
  try {
    return (await git(["rev-parse", "--verify", "-q", `refs/heads/${branch}^{commit}`], { gitDir: mirror })).trim();
  } catch {
    return null;
  }
}

/**
 * Patchbay's repository of the attempt (made once, on its first turn): bare, root's only, its config written by
 * Patchbay, the mirror's objects borrowed through alternates (the mirror is never garbage-collected: gc.auto=0).
 */
/** The ref of the host repository holding the latest turn's snapshot commit. */
export const SNAPSHOT_REF = "refs/patchbay/snapshot";
/** Where the checkout's git dir gets it for the restore step. */
export const RESTORE_REF = "refs/patchbay/restore";

export async function ensureHostRepo(opts: { mirror: string; workspace: AttemptWorkspace }): Promise<void> {
  const dir = opts.workspace.hostRepo;
  if (await fs.stat(path.join(dir, "HEAD")).then(() => true, () => false)) return;
  await fs.mkdir(opts.workspace.root, { recursive: true, mode: 0o755 });
  await git(["init", "--bare", "-q", dir]);
  await fs.chmod(dir, 0o700);
  await fs.writeFile(path.join(dir, "objects", "info", "alternates"), `${path.join(opts.mirror, "objects")}\n`);
}

/**
 * A fresh checkout of `commit` from the mirror, in the attempt's volume (which a turn always starts empty). Made
 * on the host before any sandbox sees it: the content is the repository's, nothing the agent wrote. Objects are
 * copied, not hard-linked: a hard link would let the sandbox user alter the mirror's objects through the inode.
 * `restore` names a ref of the host repository (the previous turn's snapshot) whose objects the checkout's git
 * dir also gets, for the sandboxed restore step to check out.
 */
export async function createCheckout(opts: { mirror: string; workspace: AttemptWorkspace; commit: string; restore?: string }): Promise<void> {
  const { workspace: ws } = opts;
  await fs.rm(ws.tree, { recursive: true, force: true });
  await fs.rm(ws.gitDir, { recursive: true, force: true });
  await git(["clone", "-q", "--no-hardlinks", "--no-checkout", `--separate-git-dir=${ws.gitDir}`, opts.mirror, ws.tree]);
  await git(["checkout", "-q", "--detach", opts.commit], { gitDir: ws.gitDir, workTree: ws.tree, cwd: ws.tree });
  await git(["remote", "remove", "origin"], { gitDir: ws.gitDir });
  if (opts.restore) {
    await git(["fetch", "-q", "--no-tags", "--no-write-fetch-head", ws.hostRepo, `+${opts.restore}:${RESTORE_REF}`], { gitDir: ws.gitDir });
  }
  // Inside the sandbox the git dir is mounted read-only at /workspace-git: the agent can read history and diff,
  // but not rewrite refs, config or hooks.
  await fs.writeFile(path.join(ws.tree, ".git"), "gitdir: /workspace-git\n");
}

/**
 * Everything of an attempt on this disk: its volume (unmounted first, whatever it holds) and its host repository.
 * Archive, delete and the TTL reaper use it; a running turn removes only its volume (see run-attempt).
 */
export async function removeWorkspace(workspace: AttemptWorkspace): Promise<void> {
  await unmount(workspace.volume);
  await fs.rm(workspace.root, { recursive: true, force: true, maxRetries: 2 });
}

/** A turn's volume only (unmounted, image deleted); the host repository stays. */
export async function removeVolume(workspace: AttemptWorkspace): Promise<void> {
  await unmount(workspace.volume);
  await fs.rm(workspace.volume, { recursive: true, force: true, maxRetries: 2 });
  await fs.rm(path.join(workspace.root, "vol.img"), { force: true });
}
