import "server-only";
import { logError } from "@/lib/log";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import { installAppAction } from "@/lib/github/errors";
import { githubUrls } from "@/lib/github/urls";
import { git, gitAuthConfig, GitError } from "@/lib/runner/git";

/**
 * Pushing Patchbay's branch to GitHub with the installation token. The token travels as an HTTP header through
 * git's environment config (never in a URL or argv, never near the sandbox). The push is never forced: commits
 * that someone else added to the branch make it fail instead of being overwritten.
 */

export type PushTarget = { gitDir: string; remoteUrl: string; token: string; repoFullName: string };

const PUSH_TIMEOUT_MS = 5 * 60_000;

function httpStatus(stderr: string): number | null {
  const m = /(?:returned error: |HTTP |RPC failed; HTTP )(\d{3})/.exec(stderr);
  return m ? Number(m[1]) : null;
}

/** The git failure of a push (or fetch) as an error a person can act on. */
export function pushError(err: unknown, opts: { repoFullName: string; branch: string }): AppError {
  if (err instanceof AppError) return err;
  if (!(err instanceof GitError)) throw err;
  const stderr = err.stderr;
  const { repoFullName: repo, branch } = opts;
  const status = httpStatus(stderr);
  if (/GH006|protected branch|pre-receive hook declined|push declined|\[remote rejected\]/i.test(stderr)) {
    const reason = /remote:\s*(?:error:\s*)?(GH\d+:[^\n]*)/.exec(stderr)?.[1]?.trim();
    return new AppError(
      "branch_protected",
      `GitHub refused the push to ${branch} in ${repo}: a branch protection rule or push rule declined it` +
        `${reason ? ` ("${reason.slice(0, 200)}")` : ""}. Change the rule on GitHub (or exempt the GitHub App) and try again.`,
      409,
      { label: "Branch protection settings", href: `${webBase(opts)}/settings/branches` },
    );
  }
  if (/\[rejected\]|non-fast-forward|fetch first|stale info|Updates were rejected/i.test(stderr)) {
    return new AppError(
      "branch_diverged",
      `The branch ${branch} has commits Patchbay did not make; Patchbay does not force-push over them. ` +
        `Merge or drop those commits on GitHub (or delete the branch) and try again.`,
      409,
      { label: "Open the branch", href: `${webBase(opts)}/tree/${branch}` },
    );
  }
  if (status === 403 || /Permission to .* denied|403 Forbidden/i.test(stderr)) {
    return new AppError(
      "github_no_write_access",
      `The GitHub App cannot write to ${repo}: give it Contents: write permission, then try again.`,
      403,
      installAppAction(),
    );
  }
  if (status === 401 || /Authentication failed|Invalid username or token/i.test(stderr)) {
    return new AppError(
      "github_token_rejected",
      `GitHub did not accept the GitHub App's access token for ${repo}. Try again; if it keeps failing, check the App's installation.`,
      502,
      installAppAction(),
    );
  }
  if (status === 404 || /Repository not found|not found/i.test(stderr)) {
    return new AppError(
      "github_repo_not_found",
      `GitHub did not find ${repo}, or the GitHub App cannot see it. Check that the App is installed on it.`,
      404,
      installAppAction(),
    );
  }
  if (status === 429) {
    return new AppError("github_rate_limited", `GitHub's rate limit was reached while pushing ${branch}. Try again in a minute.`, 429);
  }
  if (
    (status !== null && status >= 500) ||
    err.exitCode === null ||
    /Could not resolve host|Failed to connect|Connection refused|timed out|RPC failed|remote end hung up|Empty reply|SSL/i.test(stderr)
  ) {
    return new AppError("github_unavailable", `GitHub is not answering right now (while pushing ${branch}). Try again shortly.`, 502);
  }
  logError("push failed", err);
  return new AppError("push_failed", `Pushing ${branch} to ${repo} failed. Try again.`, 502);
}

function webBase(opts: { repoFullName: string }) {
  return `${githubUrls(getEnv()).web}/${opts.repoFullName}`;
}

/** Pushes `commit` to `refs/heads/<branch>` on GitHub, fast-forward only. */
export async function pushBranch(target: PushTarget, commit: string, branch: string): Promise<void> {
  try {
    await git(["push", "--quiet", "--no-verify", target.remoteUrl, `${commit}:refs/heads/${branch}`], {
      gitDir: target.gitDir,
      config: gitAuthConfig(target.token),
      timeoutMs: PUSH_TIMEOUT_MS,
    });
  } catch (err) {
    throw pushError(err, { repoFullName: target.repoFullName, branch });
  }
}

/** Fetches a branch of GitHub into the attempt's host repository (as refs/patchbay/<name>) and returns its commit. */
export async function fetchBranch(target: PushTarget, branch: string, localName: string): Promise<string> {
  const ref = `refs/patchbay/${localName}`;
  try {
    await git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", target.remoteUrl, `+refs/heads/${branch}:${ref}`], {
      gitDir: target.gitDir,
      config: gitAuthConfig(target.token),
      timeoutMs: PUSH_TIMEOUT_MS,
    });
    return (await git(["rev-parse", "--verify", "-q", `${ref}^{commit}`], { gitDir: target.gitDir })).trim();
  } catch (err) {
    throw pushError(err, { repoFullName: target.repoFullName, branch });
  }
}
