import "server-only";
import { git, GitError } from "@/lib/runner/git";
import type { AttemptWorkspace } from "@/lib/runner/workspace";
import { AppError } from "@/lib/errors";
import type { GitIdentity } from "./naming";

/**
 * Commits an attempt's checkout on the host, never inside the sandbox. The checkout is hostile (the agent wrote
 * it): git runs with our git dir (outside the checkout, read-only to the sandbox), hooks off and no global or
 * system config (lib/runner/git.ts). Staging stores symlinks as links and never follows them, and the commit is
 * made with plumbing (write-tree, commit-tree, update-ref), so no hook, editor or HEAD move is involved.
 */

function gitOpts(ws: AttemptWorkspace) {
  return { gitDir: ws.gitDir, workTree: ws.tree, cwd: ws.tree };
}

/** Stages everything in the checkout (except the `.git` pointer file the sandbox needs) and returns the tree. */
export async function stageTree(ws: AttemptWorkspace): Promise<string> {
  const opts = gitOpts(ws);
  await git(["add", "-A", "--", ".", ":(exclude,top).git"], opts);
  await git(["rm", "-q", "--cached", "--ignore-unmatch", "--", ".git"], opts).catch(() => undefined);
  return (await git(["write-tree"], opts)).trim();
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
  parent: string;
  branch: string;
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
}): Promise<CommitResult> {
  const g = gitOpts(opts.workspace);
  try {
    const tree = await stageTree(opts.workspace);
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
      console.error("commit failed:", err.message);
      throw new AppError("commit_failed", "Patchbay could not commit this attempt's changes. Nothing was pushed; try again.", 500);
    }
    throw err;
  }
}

/** True when `ancestor` is `commit` or one of its ancestors (in the attempt's git dir). */
export async function isAncestor(ws: AttemptWorkspace, ancestor: string, commit: string): Promise<boolean> {
  try {
    await git(["merge-base", "--is-ancestor", ancestor, commit], { gitDir: ws.gitDir });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `commit` merges cleanly into `onto` (both in the attempt's git dir). When not, the paths both sides
 * changed since their merge base (where the conflicts are). `git merge-tree --write-tree` touches neither the
 * index nor the checkout.
 */
export async function mergeConflicts(ws: AttemptWorkspace, onto: string, commit: string): Promise<string[] | null> {
  const g = { gitDir: ws.gitDir };
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
