import "server-only";
import type { DbHandle } from "@/db";
import type { GitHubTaskLinkRow } from "@/db/queries/github-hooks";
import { setAttemptBranch, setTaskPullRequest } from "@/db/queries/pr";
import { findAttempt, findTask, listAttempts, type AttemptRow, type TaskRow } from "@/db/queries/tasks";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { summaryBullets } from "@/lib/pr/body";
import { createPullRequest, updatePullRequest } from "@/lib/pr/open";
import { publicMessage } from "@/lib/public-message";
import { commentableLines } from "./diff-lines";
import { compareFiles, createReview, getPullRequest, replyOn, repoClient, type RepoClient } from "./github";
import { messages } from "./messages";
import { buildReview, parseReviewAnswer } from "./review-format";

/**
 * When a task started from GitHub finishes, its result goes back where it was asked for: a review becomes ONE GitHub
 * review; a fix is committed on the pull request's branch and pushed (Update branch of the existing pull request);
 * an issue's task opens a pull request that fixes the issue. Failures are said in a reply. Returns the link's end.
 */

export type FollowThrough = { state: "done" | "failed"; resultUrl: string | null; error: string | null };

function taskUrl(taskId: string): string {
  return `${getEnv().NEXTAUTH_URL.replace(/\/+$/, "")}/tasks/${taskId}`;
}

function chosenAttempt(task: TaskRow, all: AttemptRow[]): AttemptRow | undefined {
  return all.find((a) => a.id === task.chosenAttemptId) ?? all.find((a) => a.status === "succeeded") ?? all[0];
}

function failureReason(task: TaskRow, attempt: AttemptRow | undefined): string {
  if (task.status === "cancelled") return "it was stopped.";
  if (attempt?.errorMessage) return publicMessage(attempt.errorMessage).slice(0, 500);
  return "it failed.";
}

const KIND_NOUN = { review: "review", fix: "fix", issue: "task" } as const;

export async function followThrough(handle: DbHandle, link: GitHubTaskLinkRow): Promise<FollowThrough> {
  const task = await findTask(handle.db, link.taskId);
  if (!task) return { state: "failed", resultUrl: null, error: "the task is gone" };
  const attempt = chosenAttempt(task, await listAttempts(handle.db, task.id));
  const gh = await repoClient(link.repoFullName);
  const url = taskUrl(task.id);
  if (task.status !== "succeeded" || attempt?.status !== "succeeded") {
    const reason = failureReason(task, attempt);
    await replyOn(gh, link.number, messages.failed(link.requestedBy, KIND_NOUN[link.kind], reason, url));
    return { state: "failed", resultUrl: null, error: reason };
  }
  if (link.kind === "review") return postReview(gh, link, attempt, url);
  if (link.kind === "fix") return pushFix(handle, gh, link, task, attempt, url);
  return openIssuePull(gh, link, task, attempt, url);
}

async function postReview(gh: RepoClient, link: GitHubTaskLinkRow, attempt: AttemptRow, url: string): Promise<FollowThrough> {
  const parsed = parseReviewAnswer(attempt.summary ?? "");
  // The lines a comment may go on: the diff of exactly the commit the review read, against the base.
  const reviewed = attempt.baseCommit ?? link.headSha ?? "";
  // The runner checks out the branch as its mirror has it; when that is not the head the person saw, say so.
  const moved = link.headSha && reviewed !== link.headSha;
  const answer = moved
    ? { ...parsed, summary: `This review is of ${reviewed.slice(0, 7)}; the pull request's head was ${link.headSha!.slice(0, 7)} when it was asked for.\n\n${parsed.summary}` }
    : parsed;
  const files = await compareFiles(gh, link.baseRef ?? "HEAD", reviewed);
  const payload = buildReview({ answer, commentable: commentableLines(files), taskUrl: url, requestedBy: link.requestedBy });
  try {
    const reviewUrl = await createReview(gh, { number: link.number, commitId: reviewed, body: payload.body, comments: payload.comments });
    return { state: "done", resultUrl: reviewUrl, error: null };
  } catch (err) {
    // GitHub refused an inline comment (the diff moved under it): the same review with every finding in its body.
    if ((err as { status?: number }).status !== 422 || payload.comments.length === 0) throw err;
    const flat = buildReview({ answer, commentable: new Map(), taskUrl: url, requestedBy: link.requestedBy });
    const reviewUrl = await createReview(gh, { number: link.number, commitId: reviewed, body: flat.body, comments: [] });
    return { state: "done", resultUrl: reviewUrl, error: null };
  }
}

const TRANSIENT = new Set(["github_unavailable", "github_rate_limited"]);

/** What went wrong, to say on GitHub; GitHub being down is thrown instead, for the worker to try again. */
function reasonOf(err: unknown): string {
  if (err instanceof AppError && !TRANSIENT.has(err.code)) return err.message;
  throw err;
}

async function pushFix(handle: DbHandle, gh: RepoClient, link: GitHubTaskLinkRow, task: TaskRow, attempt: AttemptRow, url: string): Promise<FollowThrough> {
  const bullets = summaryBullets(attempt.summary ?? "");
  if (!attempt.diff?.trim() || !attempt.baseCommit || !link.headRef) {
    await replyOn(gh, link.number, messages.noChanges(link.requestedBy, attempt.summary?.trim() ?? "", url));
    return { state: "done", resultUrl: null, error: null };
  }
  // The pull request is the task's own from here on: the commit goes on top of the branch's head the task started
  // from (its base commit) and is pushed there, never forced — Update branch, as after a follow-up.
  if (!task.prNumber) {
    const pull = await getPullRequest(gh, link.number);
    await setAttemptBranch(handle.db, attempt.id, link.headRef, attempt.baseCommit);
    await setTaskPullRequest(handle.db, task.id, { prUrl: pull.html_url, prNumber: pull.number, prState: "open", prBranch: link.headRef });
  }
  try {
    const pr = await updatePullRequest({ userId: task.ownerId, taskId: task.id });
    const head = (await findAttempt(handle.db, attempt.id))?.headCommit ?? "";
    await replyOn(gh, link.number, messages.pushed(link.requestedBy, { sha: head, branch: pr.branch, bullets, taskUrl: url }));
    return { state: "done", resultUrl: pr.url, error: null };
  } catch (err) {
    const reason = reasonOf(err);
    await replyOn(gh, link.number, messages.pushFailed(link.requestedBy, reason, url));
    return { state: "failed", resultUrl: null, error: reason };
  }
}

async function openIssuePull(gh: RepoClient, link: GitHubTaskLinkRow, task: TaskRow, attempt: AttemptRow, url: string): Promise<FollowThrough> {
  if (!attempt.diff?.trim()) {
    await replyOn(gh, link.number, messages.noChanges(link.requestedBy, attempt.summary?.trim() ?? "", url));
    return { state: "done", resultUrl: null, error: null };
  }
  try {
    const pr = await createPullRequest({ userId: task.ownerId, taskId: task.id });
    await replyOn(gh, link.number, messages.opened(link.requestedBy, { url: pr.url, number: pr.number, taskUrl: url }));
    return { state: "done", resultUrl: pr.url, error: null };
  } catch (err) {
    const reason = reasonOf(err);
    await replyOn(gh, link.number, messages.openFailed(link.requestedBy, reason, url));
    return { state: "failed", resultUrl: null, error: reason };
  }
}
