import "server-only";
import fs from "node:fs/promises";
import type { Octokit } from "@octokit/rest";
import { getDb, getDbHandle } from "@/db";
import { findUserById } from "@/db/queries/auth";
import { findTaskLink, type GitHubTaskLinkRow } from "@/db/queries/github-hooks";
import {
  chooseAttemptOf,
  listMessagesAndCommands,
  setAttemptBranch,
  setAttemptPrTurn,
  setTaskPullRequest,
  setTaskPullRequestState,
} from "@/db/queries/pr";
import { listAttempts, type AttemptRow, type TaskRow } from "@/db/queries/tasks";
import { getEnv } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";
import { getRepoInstallationToken, repoGitUrl } from "@/lib/github/app";
import { octokitFor } from "@/lib/github/client";
import { githubUrls } from "@/lib/github/urls";
import { attemptWorkspace, type AttemptWorkspace } from "@/lib/runner/workspace";
import { requireOwnTask } from "@/lib/tasks/access";
import { publishBoardChange } from "@/lib/events/user-stream";
import { allTurnBullets, buildPullRequestBody, commitMessage, turnSubject, type AttemptEventLite } from "./body";
import { commitAttempt, mergeConflicts } from "./commit";
import { pullRequestError, tokenError } from "./errors";
import { authorIdentity, branchNameFor, patchbayIdentity } from "./naming";
import { fetchBranch, pushBranch, type PushTarget } from "./push";

/** GitHub's own badge: a draft is an open PR that is not ready for review. */
export type PullRequestState = "open" | "draft" | "closed" | "merged";

/** What Create PR / Update branch did, in words for the person ("Pushed 1 commit to …", "Already up to date: …"). */
export type PushOutcome = { commits: number; message: string };

export type PullRequestInfo = {
  url: string;
  number: number;
  state: PullRequestState;
  draft: boolean;
  branch: string;
  /** The branch it merges into. */
  base: string;
  push?: PushOutcome;
};

type GitHubPull = {
  html_url: string;
  number: number;
  state: string;
  draft?: boolean;
  merged?: boolean;
  merged_at?: string | null;
  head: { ref: string };
  base?: { ref: string };
};

const ACTIVE = ["queued", "preparing", "setup", "running", "finalizing"];
/** How many suffixed names (`-2`, `-3`, …) to try when the branch name is taken on GitHub. */
const MAX_NAME_TRIES = 5;

// One PR operation per task at a time in this process: two clicks must not make two commits racing to push.
const taskLocks = new Map<string, Promise<unknown>>();
function withTaskLock<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
  const prev = taskLocks.get(taskId) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  taskLocks.set(taskId, next);
  void next.then(
    () => taskLocks.get(taskId) === next && taskLocks.delete(taskId),
    () => taskLocks.get(taskId) === next && taskLocks.delete(taskId),
  );
  return next;
}

export function pullRequestState(pull: Pick<GitHubPull, "state" | "draft" | "merged" | "merged_at">): PullRequestState {
  if (pull.merged || pull.merged_at) return "merged";
  if (pull.state === "closed") return "closed";
  return pull.draft ? "draft" : "open";
}

function info(pull: GitHubPull, branch: string, base: string): PullRequestInfo {
  return { url: pull.html_url, number: pull.number, state: pullRequestState(pull), draft: pull.draft === true, branch, base: pull.base?.ref ?? base };
}

function taskUrl(taskId: string): string {
  return `${getEnv().NEXTAUTH_URL.replace(/\/+$/, "")}/tasks/${taskId}`;
}

function splitRepo(fullName: string): { owner: string; repo: string } {
  const [owner, repo] = fullName.split("/");
  return { owner, repo };
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function requireCodeTask(task: TaskRow) {
  if (task.mode !== "code") throw new AppError("ask_task_no_pr", "Ask tasks have no pull request.", 400);
}

type Prepared = {
  task: TaskRow;
  attempt: AttemptRow & { baseCommit: string; snapshotCommit: string };
  ws: AttemptWorkspace;
  events: AttemptEventLite[];
  author: ReturnType<typeof patchbayIdentity>;
  committer: ReturnType<typeof patchbayIdentity>;
  octokit: Octokit;
  target: PushTarget;
  owner: string;
  repo: string;
  taskUrl: string;
};

/**
 * The checks every PR operation shares, and what it needs: the attempt (the one the person names — the attempt on
 * screen — else the chosen one), its workspace, a token.
 */
async function prepare(userId: string, task: TaskRow, attemptId?: string): Promise<Prepared> {
  requireCodeTask(task);
  const db = await getDb();
  const all = await listAttempts(db, task.id);
  const attempt = attemptId
    ? all.find((a) => a.id === attemptId)
    : (all.find((a) => a.id === task.chosenAttemptId) ?? all.find((a) => a.status === "succeeded") ?? all[0]);
  if (!attempt) {
    if (attemptId) throw notFound("No such attempt.");
    throw new AppError("no_attempt", "This task has no attempt to open a pull request from.", 409);
  }
  const name = `Attempt ${attempt.index + 1}`;
  if (ACTIVE.includes(attempt.status)) {
    throw new AppError("task_running", `${name} is still working: wait for it to finish before opening or updating its pull request.`, 409);
  }
  if (attempt.status !== "succeeded") {
    throw new AppError(
      "attempt_not_succeeded",
      `${name} did not finish successfully: send it a follow-up (or pick another attempt) before opening a pull request.`,
      409,
    );
  }
  if (!attempt.diff?.trim() || !attempt.baseCommit || !attempt.snapshotCommit) {
    throw new AppError("no_changes", "This attempt changed no files: there is nothing to put in a pull request.", 409);
  }
  const env = getEnv();
  const ws = attemptWorkspace(env.dataDir, attempt.id);
  if (!(await exists(ws.hostRepo))) {
    throw new AppError(
      "workspace_gone",
      "This attempt's saved changes were cleaned up, so they cannot be committed any more. Copy the patch, or start a new task.",
      409,
    );
  }
  const user = await findUserById(db, userId);
  const web = githubUrls(env).web;
  const committer = patchbayIdentity(web);
  const author = (user && authorIdentity(user, web)) ?? committer;
  const events = (await listMessagesAndCommands(db, attempt.id)) as AttemptEventLite[];
  const { token } = await getRepoInstallationToken(task.repoFullName);
  const { owner, repo } = splitRepo(task.repoFullName);
  return {
    task,
    attempt: { ...attempt, baseCommit: attempt.baseCommit, snapshotCommit: attempt.snapshotCommit },
    ws,
    events,
    author,
    committer,
    octokit: octokitFor(token),
    target: { gitDir: ws.hostRepo, remoteUrl: repoGitUrl(task.repoFullName), token, repoFullName: task.repoFullName },
    owner,
    repo,
    taskUrl: taskUrl(task.id),
  };
}

/** The commit a branch points at on GitHub, or null when there is no such branch. */
async function remoteBranchSha(p: Prepared, branch: string): Promise<string | null> {
  try {
    const { data } = await p.octokit.rest.repos.getBranch({ owner: p.owner, repo: p.repo, branch });
    return data.commit.sha;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return null;
    throw tokenError(err) ?? pullRequestError(err, { repoFullName: p.task.repoFullName, context: `checking the branch ${branch}` });
  }
}

/**
 * The branch this attempt's PR goes on: the one Patchbay already made for it when GitHub still has it as we left
 * it (a retry after a failed step), else the first of `<prefix>/<slug>-<id>`, `…-2`, … that GitHub does not have.
 */
async function chooseBranch(p: Prepared): Promise<{ branch: string; parent: string }> {
  const { attempt, task } = p;
  if (attempt.branchName && attempt.headCommit) {
    const remote = await remoteBranchSha(p, attempt.branchName);
    if (remote === null || remote === attempt.headCommit) return { branch: attempt.branchName, parent: attempt.headCommit };
  }
  const prefix = getEnv().PATCHBAY_BRANCH_PREFIX;
  const tried: string[] = [];
  for (let n = 1; n <= MAX_NAME_TRIES; n++) {
    const branch = branchNameFor({ prefix, title: task.title, taskId: task.id, n });
    if (branch === attempt.branchName) continue;
    tried.push(branch);
    if ((await remoteBranchSha(p, branch)) === null) return { branch, parent: attempt.baseCommit };
  }
  throw new AppError(
    "branch_taken",
    `The branch names ${tried.join(", ")} are all taken on ${task.repoFullName} by branches Patchbay did not make. Delete or rename one of them on GitHub and try again.`,
    409,
  );
}

async function findOpenPullForBranch(p: Prepared, branch: string): Promise<GitHubPull | null> {
  try {
    const { data } = await p.octokit.rest.pulls.list({ owner: p.owner, repo: p.repo, head: `${p.owner}:${branch}`, state: "open", per_page: 10 });
    return (data as GitHubPull[]).find((pr) => pr.head.ref === branch) ?? null;
  } catch (err) {
    throw pullRequestError(err, { repoFullName: p.task.repoFullName, context: "looking for the existing pull request" });
  }
}

async function openPull(p: Prepared, branch: string, base: string, body: string, draft: boolean): Promise<GitHubPull> {
  try {
    const { data } = await p.octokit.rest.pulls.create({
      owner: p.owner,
      repo: p.repo,
      title: p.task.title,
      head: branch,
      base,
      body,
      draft,
    });
    return data as GitHubPull;
  } catch (err) {
    const mapped = pullRequestError(err, { repoFullName: p.task.repoFullName, context: "opening the pull request", branch, base });
    if (mapped.code !== "pr_already_exists") throw mapped;
    // GitHub already has an open PR from this very branch: Patchbay opened it (a retry whose answer was lost),
    // since the branch holds exactly our commits. Adopt it instead of failing.
    const existing = await findOpenPullForBranch(p, branch);
    if (!existing) throw mapped;
    return updatePullBody(p, existing.number, body);
  }
}

async function updatePullBody(p: Prepared, number: number, body: string): Promise<GitHubPull> {
  try {
    const { data } = await p.octokit.rest.pulls.update({ owner: p.owner, repo: p.repo, pull_number: number, body });
    return data as GitHubPull;
  } catch (err) {
    throw pullRequestError(err, { repoFullName: p.task.repoFullName, context: "updating the pull request's description" });
  }
}

async function getPull(octokit: Octokit, task: TaskRow, number: number): Promise<GitHubPull> {
  const { owner, repo } = splitRepo(task.repoFullName);
  try {
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    return data as GitHubPull;
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      throw new AppError("pr_not_found", `GitHub no longer has pull request #${number} in ${task.repoFullName}.`, 404);
    }
    throw pullRequestError(err, { repoFullName: task.repoFullName, context: "reading the pull request" });
  }
}

/** Fails when the base branch moved since the attempt started (or is another branch) and the changes no longer merge into it. */
async function checkStillApplies(p: Prepared, base: string, baseTip: string, commit: string) {
  if (baseTip === p.attempt.baseCommit) return;
  const tip = await fetchBranch(p.target, base, "base");
  const conflicts = await mergeConflicts(p.ws, tip, commit);
  if (conflicts === null) return;
  const files = conflicts.slice(0, 5).join(", ") + (conflicts.length > 5 ? `, and ${conflicts.length - 5} more` : "");
  const moved = base === p.task.baseBranch ? `${base} moved since this task started, and the changes` : `The changes (made on ${p.task.baseBranch})`;
  throw new AppError(
    "base_branch_moved",
    `${moved} no longer apply on ${base === p.task.baseBranch ? "it" : base}${files ? ` (conflicts in ${files})` : ""}. ` +
      `Start a new task from the current ${base}, or ask for a follow-up that works on top of it.`,
    409,
  );
}

/** The issue a task started from GitHub closes (its PR says "Fixes #N"). */
function fixesIssue(link: GitHubTaskLinkRow | null): number | null {
  return link?.kind === "issue" ? link.number : null;
}

async function storePull(task: TaskRow, pull: GitHubPull, branch: string, base: string, push?: PushOutcome): Promise<PullRequestInfo> {
  const result = info(pull, branch, base);
  const handle = await getDbHandle();
  await setTaskPullRequest(handle.db, task.id, { prUrl: result.url, prNumber: result.number, prState: result.state, prBranch: branch, prBase: result.base });
  await publishBoardChange(handle, task.ownerId, task.id);
  return push ? { ...result, push } : result;
}

/**
 * Create PR: commits the attempt's changes (the attempt on screen, else the chosen one) on the host as the signed-in
 * user, pushes the branch with the installation token and opens the PR against `base` (default: the task's branch).
 * When the task already has a PR, this is Update branch. Every failure leaves the task, its diff and its workspace
 * as they were, so it can be retried. Opening a PR from an attempt makes it the task's chosen attempt.
 */
export async function createPullRequest({
  userId,
  taskId,
  draft = false,
  attemptId,
  base,
}: {
  userId: string;
  taskId: string;
  draft?: boolean;
  attemptId?: string;
  base?: string;
}): Promise<PullRequestInfo> {
  return withTaskLock(taskId, async () => {
    const task = await requireOwnTask({ userId, taskId });
    requireCodeTask(task);
    if (task.prNumber) return updateLocked(userId, task, attemptId);
    const p = await prepare(userId, task, attemptId);
    const into = base ?? task.baseBranch;

    const baseTip = await remoteBranchSha(p, into);
    if (baseTip === null) {
      throw into === task.baseBranch
        ? new AppError(
            "base_branch_gone",
            `The base branch ${into} is gone from ${task.repoFullName}, so there is nothing to open a pull request against. Restore it on GitHub, or start a new task on another branch.`,
            409,
          )
        : new AppError("base_branch_gone", `${task.repoFullName} has no branch ${into} to open the pull request against. Pick another base branch.`, 409);
    }
    const { branch, parent } = await chooseBranch(p);
    const { commit } = await commitAttempt({
      workspace: p.ws,
      snapshot: p.attempt.snapshotCommit,
      parent,
      branch,
      message: commitMessage(task.title, allTurnBullets(p.events), p.taskUrl),
      author: p.author,
      committer: p.committer,
    });
    if (commit === p.attempt.baseCommit) {
      throw new AppError("no_changes", "This attempt's checkout has no changes against its base commit: nothing to put in a pull request.", 409);
    }
    const db = await getDb();
    await setAttemptBranch(db, p.attempt.id, branch, commit);
    await checkStillApplies(p, into, baseTip, commit);
    await pushBranch(p.target, commit, branch);
    await setAttemptPrTurn(db, p.attempt.id, p.attempt.turn);
    if (task.chosenAttemptId !== p.attempt.id) await chooseAttemptOf(db, task.id, p.attempt.id);
    const body = buildPullRequestBody({ title: task.title, events: p.events, taskUrl: p.taskUrl, fixesIssue: fixesIssue(await findTaskLink(db, task.id)) });
    const pull = await openPull(p, branch, into, body, draft);
    return storePull(task, pull, branch, into, { commits: 1, message: `Opened pull request #${pull.number} into ${into} with 1 commit on ${branch}.` });
  });
}

async function updateLocked(userId: string, task: TaskRow, attemptId?: string): Promise<PullRequestInfo> {
  if (!task.prNumber || !task.prBranch) {
    throw new AppError("no_pull_request", "This task has no pull request yet: create one first.", 409);
  }
  const branch = task.prBranch;
  const all = await listAttempts(await getDb(), task.id);
  // Without an attempt named, the one the pull request came from.
  const p = await prepare(userId, task, attemptId ?? all.find((a) => a.branchName === branch)?.id);
  if (p.attempt.branchName !== branch || !p.attempt.headCommit) {
    const owner = all.find((a) => a.branchName === branch);
    throw new AppError(
      "pr_from_other_attempt",
      `Pull request #${task.prNumber} was opened from ${owner ? `Attempt ${owner.index + 1}` : "another attempt"} of this task (branch ${branch}): open that attempt to update it.`,
      409,
    );
  }
  const current = await getPull(p.octokit, task, task.prNumber);
  const state = pullRequestState(current);
  if (state === "merged" || state === "closed") {
    await setTaskPullRequestState(await getDb(), task.id, state);
    throw state === "merged"
      ? new AppError("pr_merged", `Pull request #${task.prNumber} is already merged. Start a new task for further changes.`, 409, {
          label: "View PR",
          href: current.html_url,
        })
      : new AppError("pr_closed", `Pull request #${task.prNumber} is closed. Reopen it on GitHub, then update the branch.`, 409, {
          label: "View PR",
          href: current.html_url,
        });
  }
  // The turns since the last push make this commit; its message comes from what the agent said in them.
  const since = p.attempt.prTurn ?? -1;
  const newTurns = (t: number) => t > since && t <= p.attempt.turn;
  const { commit, created } = await commitAttempt({
    workspace: p.ws,
    snapshot: p.attempt.snapshotCommit,
    parent: p.attempt.headCommit,
    branch,
    message: commitMessage(turnSubject(p.events, newTurns) ?? task.title, allTurnBullets(p.events, newTurns), p.taskUrl),
    author: p.author,
    committer: p.committer,
  });
  const db = await getDb();
  await setAttemptBranch(db, p.attempt.id, branch, commit);
  const base = current.base?.ref ?? task.prBase ?? task.baseBranch;
  const remote = await remoteBranchSha(p, branch);
  let push: PushOutcome;
  if (remote === commit) {
    push = { commits: 0, message: `Already up to date: ${branch} has every change of Attempt ${p.attempt.index + 1}.` };
  } else {
    await pushBranch(p.target, commit, branch);
    push = created
      ? { commits: 1, message: `Pushed 1 commit to ${branch}.` }
      : { commits: 0, message: `Pushed ${branch} again: no new changes since its last commit.` };
  }
  await setAttemptPrTurn(db, p.attempt.id, p.attempt.turn);
  const link = await findTaskLink(db, task.id);
  // A pull request someone else opened (a fix asked for on GitHub) keeps its own description.
  if (link?.kind === "fix") return storePull(task, current, branch, base, push);
  const body = buildPullRequestBody({ title: task.title, events: p.events, taskUrl: p.taskUrl, fixesIssue: fixesIssue(link) });
  const pull = await updatePullBody(p, task.prNumber, body);
  return storePull(task, pull, branch, base, push);
}

/**
 * Update branch: after a follow-up, commits the new changes on top of the branch's previous head, pushes them
 * (never forced) and refreshes the PR's description, keeping the same PR.
 */
export async function updatePullRequest({ userId, taskId, attemptId }: { userId: string; taskId: string; attemptId?: string }): Promise<PullRequestInfo> {
  return withTaskLock(taskId, async () => {
    const task = await requireOwnTask({ userId, taskId });
    requireCodeTask(task);
    return updateLocked(userId, task, attemptId);
  });
}

/** View PR: reads the PR from GitHub and stores its state (open, draft, closed, merged) on the task. */
export async function refreshPullRequestState({ userId, taskId }: { userId: string; taskId: string }): Promise<PullRequestInfo> {
  const task = await requireOwnTask({ userId, taskId });
  if (!task.prNumber || !task.prBranch) throw notFound("This task has no pull request.");
  const { token } = await getRepoInstallationToken(task.repoFullName);
  const pull = await getPull(octokitFor(token), task, task.prNumber);
  const result = info(pull, task.prBranch, task.prBase ?? task.baseBranch);
  if (result.state !== task.prState || result.url !== task.prUrl || result.base !== task.prBase) {
    await setTaskPullRequest(await getDb(), task.id, {
      prUrl: result.url,
      prNumber: result.number,
      prState: result.state,
      prBranch: task.prBranch,
      prBase: result.base,
    });
  }
  return result;
}
