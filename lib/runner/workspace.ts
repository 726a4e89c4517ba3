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
/** When this process last fetched each mirror. */
const fetchedAt = new Map<string, number>();

/**
 * Creates the mirror on first use, then fetches every branch into it — unless this process fetched it less than
 * `freshMs` ago: sixty tasks submitted at once on one repository share one fetch instead of queueing sixty. The
 * token (asked for only when a fetch happens) travels in the environment.
 */
export async function syncMirror(opts: {
  dataDir: string;
  repoFullName: string;
  remoteUrl: string;
  token: string | (() => Promise<string>);
  freshMs?: number;
}): Promise<string> {
  const dir = mirrorPath(opts.dataDir, opts.repoFullName);
  return withLock(dir, async () => {
    const exists = await fs
      .stat(path.join(dir, "HEAD"))
      .then(() => true)
      .catch(() => false);
    if (!exists) {
      await fs.mkdir(dir, { recursive: true });
      await git(["init", "--bare", "-q", NO_TEMPLATE, dir]);
    } else if (Date.now() - (fetchedAt.get(dir) ?? 0) < (opts.freshMs ?? 0)) {
      return dir;
    }
    const token = typeof opts.token === "string" ? opts.token : await opts.token();
    const started = Date.now();
    await git(["fetch", "--prune", "--no-tags", "-q", opts.remoteUrl, "+refs/heads/*:refs/heads/*"], {
      gitDir: dir,
      config: authConfig(token),
      timeoutMs: 10 * 60_000,
    });
    fetchedAt.set(dir, started);
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
  await git(["init", "--bare", "-q", NO_TEMPLATE, dir]);
  await fs.chmod(dir, 0o700);
  await fs.writeFile(path.join(dir, "objects", "info", "alternates"), `${path.join(opts.mirror, "objects")}\n`);
}

/** `git init` without the template's sample hooks and info files: nothing of ours reads them (hooks are off). */
export const NO_TEMPLATE = "--template=";

/** Where a checkout goes: its files and its git dir (kept outside them). */
export type CheckoutTarget = { tree: string; gitDir: string };

/**
 * A fresh checkout of `commit` from the mirror (the attempt's volume, or a cache entry being built). Made on the
 * host before any sandbox sees it: the content is the repository's, nothing the agent wrote. Objects are copied,
 * not hard-linked: a hard link would let the sandbox user alter the mirror's objects through the inode.
 */
export async function createCheckout(opts: { mirror: string; target: CheckoutTarget; commit: string }): Promise<void> {
  const { target } = opts;
  await fs.rm(target.tree, { recursive: true, force: true });
  await fs.rm(target.gitDir, { recursive: true, force: true });
  await git(["clone", "-q", "--no-hardlinks", "--no-checkout", `--separate-git-dir=${target.gitDir}`, opts.mirror, target.tree]);
  await git(["checkout", "-q", "--detach", opts.commit], { gitDir: target.gitDir, workTree: target.tree, cwd: target.tree });
  await git(["remote", "remove", "origin"], { gitDir: target.gitDir });
  // Inside the sandbox the git dir is mounted read-only at /workspace-git: the agent can read history and diff,
  // but not rewrite refs, config or hooks.
  await fs.writeFile(path.join(target.tree, ".git"), "gitdir: /workspace-git\n");
}

/**
 * The git dir of a checkout whose files come from elsewhere (a cached environment under an overlay): the mirror's
 * objects, HEAD detached at `commit`, and the index of `indexFrom` (a git dir whose index describes those very
 * files, so git's stat cache holds) or else the commit's tree without stat data.
 */
export async function createGitDir(opts: { mirror: string; gitDir: string; commit: string; indexFrom?: string }): Promise<void> {
  if (!/^[0-9a-f]{40}$/.test(opts.commit)) throw new Error(`not a commit id: ${opts.commit}`);
  await fs.rm(opts.gitDir, { recursive: true, force: true });
  await git(["init", "-q", "--bare", NO_TEMPLATE, opts.gitDir]);
  // A git dir with a work tree (core.bare false) and HEAD detached at the commit: both files written here rather
  // than by two more git processes a turn (git reads them as written: "bare = false", a bare commit id in HEAD).
  const config = path.join(opts.gitDir, "config");
  const written = await fs.readFile(config, "utf8");
  if (!/^\tbare = true$/m.test(written)) throw new Error("unexpected config from git init");
  await fs.writeFile(config, written.replace(/^\tbare = true$/m, "\tbare = false"));
  await fs.writeFile(path.join(opts.gitDir, "HEAD"), `${opts.commit}\n`);
  // No copy of the objects: the mirror's, read-only, at the path every sandbox binds it (the host's git is given
  // the real path through the environment).
  await fs.writeFile(path.join(opts.gitDir, "objects", "info", "alternates"), `${SANDBOX_MIRROR}/objects\n`);
  if (opts.indexFrom) await fs.copyFile(path.join(opts.indexFrom, "index"), path.join(opts.gitDir, "index"));
  else await git(["read-tree", opts.commit], { gitDir: opts.gitDir, env: mirrorObjectsEnv(opts.mirror) });
}

/** Where sandboxes see the repository's mirror (read-only), for git dirs that borrow its objects. */
export const SANDBOX_MIRROR = "/patchbay/mirror";

/** Host git over a git dir made by createGitDir: the mirror's objects at their real path. */
export function mirrorObjectsEnv(mirror: string): Record<string, string> {
  return { GIT_ALTERNATE_OBJECT_DIRECTORIES: path.join(mirror, "objects") };
}

/** Gives a checkout's git dir the previous turn's snapshot (from the host repository) for the restore step. */
export async function fetchRestoreRef(opts: { gitDir: string; hostRepo: string; mirror: string }): Promise<void> {
  await git(["fetch", "-q", "--no-tags", "--no-write-fetch-head", opts.hostRepo, `+${SNAPSHOT_REF}:${RESTORE_REF}`], {
    gitDir: opts.gitDir,
    env: mirrorObjectsEnv(opts.mirror),
  });
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
