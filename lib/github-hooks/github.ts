import "server-only";
import type { Octokit } from "@octokit/rest";
import { getRepoInstallationToken } from "@/lib/github/app";
import { octokitFor } from "@/lib/github/client";
import { pullRequest, type PullRequest } from "./payloads";
import type { ChangedFile } from "./review-format";

/**
 * The GitHub calls of reviews and fixes from GitHub, made as the App (an installation token of the repository):
 * who may write, reactions, replies, the pull request and what it changes, the review.
 */

/** A GitHub error worth trying again later: GitHub down or slow, or a rate limit. */
export function isTransient(err: unknown): boolean {
  const e = err as { status?: unknown; response?: { headers?: Record<string, unknown> } };
  if (typeof e?.status !== "number") return false;
  if (e.status === 403 && String(e.response?.headers?.["x-ratelimit-remaining"]) === "0") return true;
  return e.status >= 500 || e.status === 429 || e.status === 408;
}

export type RepoClient = {
  octokit: Octokit;
  owner: string;
  repo: string;
  fullName: string;
};

export async function repoClient(fullName: string): Promise<RepoClient> {
  const [owner, repo] = fullName.split("/");
  const { token } = await getRepoInstallationToken(fullName);
  return { octokit: octokitFor(token), owner, repo, fullName };
}

const WRITE = new Set(["admin", "write"]);

/** Whether the person may push to the repository (admin, maintain or write), as GitHub says. */
export async function hasWriteAccess(gh: RepoClient, login: string): Promise<boolean> {
  try {
    const { data } = await gh.octokit.rest.repos.getCollaboratorPermissionLevel({ owner: gh.owner, repo: gh.repo, username: login });
    const role = (data as { role_name?: string }).role_name;
    return WRITE.has(data.permission) || role === "maintain";
  } catch (err) {
    if ((err as { status?: number }).status === 404) return false;
    throw err;
  }
}

export async function reactToComment(gh: RepoClient, commentId: number, content: "eyes" | "+1" | "confused"): Promise<void> {
  await gh.octokit.rest.reactions.createForIssueComment({ owner: gh.owner, repo: gh.repo, comment_id: commentId, content });
}

/** A comment on the issue or pull request (GitHub caps a comment at 65,536 characters). */
export async function replyOn(gh: RepoClient, number: number, body: string): Promise<string> {
  const text = body.length > 60_000 ? `${body.slice(0, 60_000)}\n…` : body;
  const { data } = await gh.octokit.rest.issues.createComment({ owner: gh.owner, repo: gh.repo, issue_number: number, body: text });
  return data.html_url;
}

export async function getPullRequest(gh: RepoClient, number: number): Promise<PullRequest> {
  const { data } = await gh.octokit.rest.pulls.get({ owner: gh.owner, repo: gh.repo, pull_number: number });
  return pullRequest.parse(data);
}

const MAX_FILES = 3000;

/** The files a pull request changes (GitHub lists at most 3,000). */
export async function listPullFiles(gh: RepoClient, number: number): Promise<ChangedFile[]> {
  const files = await gh.octokit.paginate(gh.octokit.rest.pulls.listFiles, { owner: gh.owner, repo: gh.repo, pull_number: number, per_page: 100 });
  return files.slice(0, MAX_FILES).map((f) => ({ filename: f.filename, status: f.status, additions: f.additions, deletions: f.deletions }));
}

/** What `head` changes since its merge base with `base`, per file with its patch: what a review may comment on. */
export async function compareFiles(gh: RepoClient, base: string, head: string): Promise<{ filename: string; patch?: string | null }[]> {
  const { data } = await gh.octokit.rest.repos.compareCommitsWithBasehead({ owner: gh.owner, repo: gh.repo, basehead: `${base}...${head}` });
  return (data.files ?? []).map((f) => ({ filename: f.filename, patch: f.patch ?? null }));
}

export async function createReview(
  gh: RepoClient,
  opts: { number: number; commitId: string; body: string; comments: { path: string; line: number; side: "RIGHT"; body: string }[] },
): Promise<string> {
  const { data } = await gh.octokit.rest.pulls.createReview({
    owner: gh.owner,
    repo: gh.repo,
    pull_number: opts.number,
    commit_id: opts.commitId,
    event: "COMMENT",
    body: opts.body,
    comments: opts.comments,
  });
  return data.html_url;
}
