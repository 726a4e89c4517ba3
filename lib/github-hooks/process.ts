import "server-only";
import type { DbHandle } from "@/db";
import { findTaskLinkByDelivery, findUserByGitHubId, getRepoSettings, type GitHubDeliveryRow } from "@/db/queries/github-hooks";
import { getEnv } from "@/lib/env";
import { parseCommand, type Command } from "./commands";
import { getPullRequest, hasWriteAccess, listPullFiles, reactToComment, replyOn, repoClient, type RepoClient } from "./github";
import { messages } from "./messages";
import { issueCommentEvent, pullRequestEvent, type PullRequest } from "./payloads";
import { fixPrompt, issuePrompt } from "./prompts";
import { configuredHandles, mentionText } from "./config";
import { buildReviewPrompt } from "./review-format";
import { startLinkedTask } from "./start";

/**
 * One recorded delivery, after the endpoint answered: who asked, whether they may (write access, through the API),
 * who they are in Patchbay (by GitHub user id), then the task — or a polite reply saying why not. Returns what
 * happened, for the delivery's row and the tests. GitHub errors are thrown (the worker retries transient ones).
 */

export type Outcome =
  | { done: "task"; taskId: string }
  | { done: "replied"; reason: "not_allowed" | "no_user" | "help" | "not_a_pull" | "fork" | "closed" }
  | { done: "ignored"; reason: string };

function appUrl(): string {
  return getEnv().NEXTAUTH_URL.replace(/\/+$/, "");
}

export async function handleDelivery(handle: DbHandle, row: GitHubDeliveryRow): Promise<Outcome> {
  // A retry after a crash between the task and the end of this delivery: the task exists, nothing more to do.
  const existing = await findTaskLinkByDelivery(handle.db, row.id);
  if (existing) return { done: "task", taskId: existing.taskId };
  if (row.event === "issue_comment") return handleComment(handle, row);
  if (row.event === "pull_request") return handleReviewRequest(handle, row);
  return { done: "ignored", reason: `event ${row.event}` };
}

/** The checks every request shares: write access, then a Patchbay user. */
async function checkRequester(
  handle: DbHandle,
  gh: RepoClient,
  number: number,
  who: { login: string; id: number },
): Promise<{ userId: string } | Outcome> {
  if (!(await hasWriteAccess(gh, who.login))) {
    await replyOn(gh, number, messages.notAllowed(who.login, gh.fullName));
    return { done: "replied", reason: "not_allowed" };
  }
  const user = await findUserByGitHubId(handle.db, who.id);
  if (!user) {
    await replyOn(gh, number, messages.signInFirst(who.login, appUrl()));
    return { done: "replied", reason: "no_user" };
  }
  return { userId: user.id };
}

/** Forks and closed pull requests are answered, not worked on. */
async function checkPull(gh: RepoClient, pull: PullRequest, who: string): Promise<Outcome | null> {
  const headRepo = pull.head.repo?.full_name;
  if (headRepo && headRepo.toLowerCase() !== gh.fullName.toLowerCase()) {
    await replyOn(gh, pull.number, messages.fork(who));
    return { done: "replied", reason: "fork" };
  }
  if (pull.state !== "open") {
    await replyOn(gh, pull.number, messages.notOpen(who, pull.number));
    return { done: "replied", reason: "closed" };
  }
  return null;
}

async function handleComment(handle: DbHandle, row: GitHubDeliveryRow): Promise<Outcome> {
  const e = issueCommentEvent.parse(row.payload);
  const command = parseCommand(e.comment.body, configuredHandles().handles);
  if (!command) return { done: "ignored", reason: "no command" };
  const gh = await repoClient(e.repository.full_name);
  const who = e.comment.user;
  const number = e.issue.number;
  const checked = await checkRequester(handle, gh, number, who);
  if ("done" in checked) return checked;
  if (command.kind === "help") {
    await replyOn(gh, number, messages.help(who.login, mentionText()));
    return { done: "replied", reason: "help" };
  }
  const isPull = Boolean(e.issue.pull_request);
  if (!isPull && command.kind === "review") {
    await replyOn(gh, number, messages.reviewNeedsPull(who.login, mentionText()));
    return { done: "replied", reason: "not_a_pull" };
  }

  const source = { deliveryId: row.id, number, commentId: e.comment.id, sourceUrl: e.comment.html_url, requestedBy: who.login };
  if (!isPull) {
    const request = (command as Extract<Command, { kind: "fix" | "task" }>).request;
    await reactToComment(gh, e.comment.id, "eyes");
    const task = await startLinkedTask(handle, {
      ownerId: checked.userId,
      repoFullName: gh.fullName,
      baseBranch: e.repository.default_branch,
      mode: "code",
      prompt: issuePrompt({ request, repoFullName: gh.fullName, number, title: e.issue.title, body: e.issue.body, requestedBy: who.login }),
      link: { ...source, kind: "issue", title: e.issue.title },
    });
    return { done: "task", taskId: task.id };
  }

  const pull = await getPullRequest(gh, number);
  const refused = await checkPull(gh, pull, who.login);
  if (refused) return refused;
  await reactToComment(gh, e.comment.id, "eyes");
  if (command.kind === "review") return startReview(handle, gh, pull, checked.userId, { ...source, focus: command.focus });
  const task = await startLinkedTask(handle, {
    ownerId: checked.userId,
    repoFullName: gh.fullName,
    baseBranch: pull.head.ref,
    mode: "code",
    prompt: fixPrompt({ request: command.request, repoFullName: gh.fullName, number, title: pull.title, headRef: pull.head.ref, requestedBy: who.login }),
    link: { ...source, kind: "fix", title: pull.title, headRef: pull.head.ref, headSha: pull.head.sha, baseRef: pull.base.ref },
  });
  return { done: "task", taskId: task.id };
}

type Source = { deliveryId: string; number: number; commentId: number | null; sourceUrl: string; requestedBy: string; focus: string };

async function startReview(handle: DbHandle, gh: RepoClient, pull: PullRequest, ownerId: string, source: Source): Promise<Outcome> {
  const files = await listPullFiles(gh, pull.number);
  const { focus, ...link } = source;
  const task = await startLinkedTask(handle, {
    ownerId,
    repoFullName: gh.fullName,
    baseBranch: pull.head.ref,
    mode: "ask",
    prompt: buildReviewPrompt({
      repoFullName: gh.fullName,
      number: pull.number,
      title: pull.title,
      description: pull.body ?? null,
      baseRef: pull.base.ref,
      baseSha: pull.base.sha,
      headRef: pull.head.ref,
      headSha: pull.head.sha,
      files,
      focus,
    }),
    link: { ...link, kind: "review", title: pull.title, headRef: pull.head.ref, headSha: pull.head.sha, baseRef: pull.base.ref },
  });
  return { done: "task", taskId: task.id };
}

async function handleReviewRequest(handle: DbHandle, row: GitHubDeliveryRow): Promise<Outcome> {
  const e = pullRequestEvent.parse(row.payload);
  const settings = await getRepoSettings(handle.db, e.repository.full_name);
  if (!settings.reviewOnRequest) return { done: "ignored", reason: "reviews on request are off for this repository" };
  const gh = await repoClient(e.repository.full_name);
  const checked = await checkRequester(handle, gh, e.number, e.sender);
  if ("done" in checked) return checked;
  const pull = await getPullRequest(gh, e.number);
  const refused = await checkPull(gh, pull, e.sender.login);
  if (refused) return refused;
  return startReview(handle, gh, pull, checked.userId, {
    deliveryId: row.id,
    number: e.number,
    commentId: null,
    sourceUrl: pull.html_url,
    requestedBy: e.sender.login,
    focus: "",
  });
}
