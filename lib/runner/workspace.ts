import "server-only";
import fs from "node:fs/promises";
import path from "node:path";
import { git } from "./git";

/**
 * Workspaces on the runner's disk:
 *   <dataDir>/mirrors/<owner>/<repo>.git   a bare mirror per repository, fetched (never re-cloned) per task
 *   <dataDir>/work/<attemptId>/tree         the attempt's checkout, bound into the sandbox at /workspace
 *   <dataDir>/work/<attemptId>/git          its git dir, outside the checkout so the agent cannot rewrite it
 */
export type AttemptWorkspace = { root: string; tree: string; gitDir: string };

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
  return { root, tree: path.join(root, "tree"), gitDir: path.join(root, "git") };
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
 * A fresh checkout of `commit` from the mirror. Objects are copied, not hard-linked: a hard link would let the
 * sandbox user (who owns the checkout) alter the mirror's objects through the shared inode.
 */
export async function createCheckout(opts: { mirror: string; workspace: AttemptWorkspace; commit: string }): Promise<void> {
  const { workspace: ws } = opts;
  await fs.rm(ws.root, { recursive: true, force: true });
  await fs.mkdir(ws.root, { recursive: true });
  await git(["clone", "-q", "--no-hardlinks", "--no-checkout", `--separate-git-dir=${ws.gitDir}`, opts.mirror, ws.tree]);
  await git(["checkout", "-q", "--detach", opts.commit], { gitDir: ws.gitDir, workTree: ws.tree, cwd: ws.tree });
  await git(["remote", "remove", "origin"], { gitDir: ws.gitDir });
  // Inside the sandbox the git dir is mounted read-only at /workspace-git: the agent can read history and diff,
  // but not rewrite refs, config or hooks.
  await fs.writeFile(path.join(ws.tree, ".git"), "gitdir: /workspace-git\n");
}

export async function removeWorkspace(workspace: AttemptWorkspace): Promise<void> {
  await fs.rm(workspace.root, { recursive: true, force: true });
}
