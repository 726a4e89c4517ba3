import "server-only";
import { logError } from "@/lib/log";
import { git, GitError } from "@/lib/runner/git";
import type { AttemptWorkspace } from "@/lib/runner/workspace";
import { AppError } from "@/lib/errors";
import type { GitIdentity } from "./naming";

/**
 * Commits an attempt's changes in Patchbay's host repository of the attempt, never over its checkout: the tree is
 * the turn's snapshot (made in a sandbox, verified by index-pack, the very tree the diff was computed from), and
 * the commit is made with plumbing (commit-tree, update-ref) under Patchbay's config: no hook, editor or worktree
 * is involved.
 */

function hostRepo(ws: AttemptWorkspace) {
  return { gitDir: ws.hostRepo };
}

function identityEnv(author: GitIdentity, committer: GitIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  };
}

export type CommitResult = { commit: string; created: boolean };

/**
 * A commit of the checkout's current state on top of `parent`, and `refs/heads/<branch>` in the attempt's git
 * dir pointing at it. When nothing changed since `parent`, no commit is made and `parent` is the answer.
 */
export async function commitAttempt(opts: {
  workspace: AttemptWorkspace;
  /** The snapshot commit whose tree is committed. */
  snapshot: string;
  parent: string;
  branch: string;
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
}): Promise<CommitResult> {
  const g = hostRepo(opts.workspace);
  try {
    const tree = (await git(["rev-parse", "--verify", "-q", `${opts.snapshot}^{tree}`], g)).trim();
    const parentTree = (await git(["rev-parse", "--verify", "-q", `${opts.parent}^{tree}`], g)).trim();
    let commit = opts.parent;
    let created = false;
    if (tree !== parentTree) {
      commit = (
        await git(["commit-tree", tree, "-p", opts.parent, "-F", "-"], {
          ...g,
          input: opts.message,
          env: identityEnv(opts.author, opts.committer),
        })
      ).trim();
      created = true;
    }
    await git(["update-ref", `refs/heads/${opts.branch}`, commit], g);
    return { commit, created };
  } catch (err) {
    if (err instanceof GitError) {
      logError("commit failed", err);
      throw new AppError("commit_failed", "Patchbay could not commit this attempt's changes. Nothing was pushed; try again.", 500);
    }
    throw err;
  }
}

/** True when `ancestor` is `commit` or one of its ancestors (in the attempt's host repository). */
export async function isAncestor(ws: AttemptWorkspace, ancestor: string, commit: string): Promise<boolean> {
  try {
    await git(["merge-base", "--is-ancestor", ancestor, commit], hostRepo(ws));
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `commit` merges cleanly into `onto` (both in the attempt's host repository). When not, the paths both sides
 * changed since their merge base (where the conflicts are). `git merge-tree --write-tree` touches neither the
 * index nor the checkout.
 */
export async function mergeConflicts(ws: AttemptWorkspace, onto: string, commit: string): Promise<string[] | null> {
  const g = hostRepo(ws);
  try {
    await git(["merge-tree", "--write-tree", "--no-messages", onto, commit], g);
    return null;
  } catch (err) {
    if (!(err instanceof GitError) || err.exitCode !== 1) throw err;
  }
  const base = (await git(["merge-base", onto, commit], g)).trim();
  const changed = async (to: string) =>
    new Set((await git(["diff", "--no-ext-diff", "--no-textconv", "--name-only", "-z", base, to], g)).split("\0").filter(Boolean));
  const [ours, theirs] = await Promise.all([changed(commit), changed(onto)]);
  return [...ours].filter((p) => theirs.has(p));
}
