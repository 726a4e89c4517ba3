import type { Ctx, Fake, Route } from "./context";
import { leftSideLines, rightSideLines, threeDotFiles, type DiffFile } from "./diff-files";
import { branchSha, resolveCommit } from "./git-repos";
import { DOCS_URL, HttpError, notAccessible, notFound, readParams, sendJson, str, validationFailed } from "./http-util";
import { paginate } from "./pagination";
import { accountJson } from "./render";
import { actorOf } from "./rest-issues";
import { readableRepo } from "./rest-repos";
import type { Account, Pull, Repo, Review, ReviewComment } from "./state";
import { reviewRequestedEvent } from "./webhooks";

/** What a pull request changes (files, compare), its reviews with inline comments, and review requests. */

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function findPull(ctx: Ctx, repo: Repo): Pull {
  const pull = ctx.fake.state.pulls.find((p) => p.repoId === repo.id && p.number === Number(ctx.params[2]));
  if (!pull) throw notFound();
  return pull;
}

async function liveShas(repo: Repo, pull: Pull) {
  if (pull.state === "open") {
    pull.headSha = (await branchSha(repo.dir, pull.headRef)) ?? pull.headSha;
    pull.baseSha = (await branchSha(repo.dir, pull.baseRef)) ?? pull.baseSha;
  }
  return pull;
}

function fileJson(fake: Fake, repo: Repo, head: string, f: DiffFile) {
  const blob = `${fake.webUrl}/${repo.fullName}/blob/${head}/${f.filename}`;
  return {
    sha: f.sha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: blob,
    raw_url: `${fake.webUrl}/${repo.fullName}/raw/${head}/${f.filename}`,
    contents_url: `${fake.apiUrl}/repos/${repo.fullName}/contents/${f.filename}?ref=${head}`,
    ...(f.patch !== null ? { patch: f.patch } : {}),
    ...(f.previousFilename ? { previous_filename: f.previousFilename } : {}),
  };
}

async function listFiles(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const pull = await liveShas(repo, findPull(ctx, repo));
  const files = await threeDotFiles(repo.dir, pull.baseSha, pull.headSha);
  const page = paginate(ctx.req, ctx.url, files);
  sendJson(ctx.res, 200, page.items.map((f) => fileJson(ctx.fake, repo, pull.headSha, f)), page.headers);
}

async function compare(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const m = /^(.+?)\.\.\.(.+)$/.exec(ctx.params[2]);
  if (!m) throw notFound();
  const [base, head] = await Promise.all([resolveCommit(repo.dir, m[1]), resolveCommit(repo.dir, m[2])]);
  if (!base || !head) throw notFound();
  const files = await threeDotFiles(repo.dir, base, head);
  sendJson(ctx.res, 200, {
    url: `${ctx.fake.apiUrl}/repos/${repo.fullName}/compare/${ctx.params[2]}`,
    html_url: `${ctx.fake.webUrl}/${repo.fullName}/compare/${ctx.params[2]}`,
    status: files.length ? "ahead" : "identical",
    base_commit: { sha: base },
    merge_base_commit: { sha: base },
    commits: [],
    files: files.map((f) => fileJson(ctx.fake, repo, head, f)),
  });
}

function reviewJson(fake: Fake, repo: Repo, r: Review) {
  return {
    id: r.id,
    node_id: Buffer.from(`017:PullRequestReview${r.id}`).toString("base64"),
    user: accountJson(fake, r.user),
    body: r.body ?? "",
    state: r.state,
    html_url: `${fake.webUrl}/${repo.fullName}/pull/${r.number}#pullrequestreview-${r.id}`,
    pull_request_url: `${fake.apiUrl}/repos/${repo.fullName}/pulls/${r.number}`,
    commit_id: r.commitId,
    submitted_at: r.submittedAt,
    author_association: r.user.type === "Bot" ? "NONE" : "MEMBER",
  };
}

function reviewCommentJson(fake: Fake, repo: Repo, number: number, c: ReviewComment) {
  return {
    id: c.id,
    pull_request_review_id: c.reviewId,
    path: c.path,
    line: c.line,
    side: c.side,
    start_line: c.startLine,
    original_line: c.line,
    commit_id: c.commitId,
    body: c.body,
    user: accountJson(fake, c.user),
    created_at: c.createdAt,
    html_url: `${fake.webUrl}/${repo.fullName}/pull/${number}#discussion_r${c.id}`,
  };
}

/** GitHub refuses the whole review when one comment is not on a line of the diff. */
function unresolvable(message: string) {
  return new HttpError(422, "Unprocessable Entity", { errors: [message], documentation_url: DOCS_URL });
}

async function createReview(ctx: Ctx) {
  const { repo, principal } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  if (!ctx.fake.state.canWrite(principal, repo, "pull_requests")) throw notAccessible();
  const pull = await liveShas(repo, findPull(ctx, repo));
  const params = await readParams(ctx.req);
  const event = str(params, "event");
  if (event !== undefined && !["COMMENT", "APPROVE", "REQUEST_CHANGES"].includes(event)) {
    throw validationFailed([{ resource: "PullRequestReview", code: "invalid", field: "event" }]);
  }
  const commitId = str(params, "commit_id") ?? pull.headSha;
  if (!(await resolveCommit(repo.dir, commitId))) throw validationFailed([{ resource: "PullRequestReview", code: "invalid", field: "commit_id" }]);
  const body = str(params, "body") ?? null;
  const raw = params.comments ?? [];
  if (!Array.isArray(raw)) throw validationFailed([{ resource: "PullRequestReview", code: "invalid", field: "comments" }]);
  if ((event === "COMMENT" || event === "REQUEST_CHANGES") && !body && raw.length === 0) {
    throw unresolvable("Review body is required for a comment review without comments");
  }
  const files = await threeDotFiles(repo.dir, pull.baseSha, commitId);
  const user = actorOf(ctx.fake, principal);
  const reviewId = ctx.fake.state.newId();
  const comments: ReviewComment[] = [];
  for (const c of raw as Record<string, unknown>[]) {
    const path = typeof c?.path === "string" ? c.path : "";
    const text = typeof c?.body === "string" ? c.body : "";
    const line = typeof c?.line === "number" ? c.line : null;
    const side = c?.side === "LEFT" ? "LEFT" : "RIGHT";
    const startLine = typeof c?.start_line === "number" ? c.start_line : null;
    if (!path || !text || line === null) throw unresolvable("Each review comment needs a path, a body and a line");
    const file = files.find((f) => f.filename === path);
    if (!file) throw unresolvable("Path could not be resolved");
    const lines = side === "RIGHT" ? rightSideLines(file.patch) : leftSideLines(file.patch);
    if (!lines.has(line) || (startLine !== null && (startLine >= line || !lines.has(startLine)))) {
      throw unresolvable("Pull request review thread line must be part of the diff");
    }
    comments.push({ id: ctx.fake.state.newId(), reviewId, path, line, side, startLine, body: text, commitId, user, createdAt: now() });
  }
  const review: Review = {
    id: reviewId,
    repoId: repo.id,
    number: pull.number,
    user,
    body,
    state: event === "APPROVE" ? "APPROVED" : event === "REQUEST_CHANGES" ? "CHANGES_REQUESTED" : "COMMENTED",
    commitId,
    submittedAt: now(),
    comments,
  };
  ctx.fake.state.reviews.push(review);
  sendJson(ctx.res, 200, reviewJson(ctx.fake, repo, review));
}

function listReviews(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const pull = findPull(ctx, repo);
  const all = ctx.fake.state.reviews.filter((r) => r.repoId === repo.id && r.number === pull.number);
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(ctx.res, 200, page.items.map((r) => reviewJson(ctx.fake, repo, r)), page.headers);
}

function listReviewComments(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const pull = findPull(ctx, repo);
  const all = ctx.fake.state.reviews.filter((r) => r.repoId === repo.id && r.number === pull.number).flatMap((r) => r.comments);
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(ctx.res, 200, page.items.map((c) => reviewCommentJson(ctx.fake, repo, pull.number, c)), page.headers);
}

/** Asks `logins` for a review; each request is a `pull_request` `review_requested` delivery. */
export async function requestReviewers(fake: Fake, repo: Repo, pull: Pull, logins: string[], sender: Account, opts: { awaitDelivery?: boolean } = {}) {
  const key = `${repo.id}#${pull.number}`;
  const set = fake.state.requestedReviewers.get(key) ?? new Set<string>();
  fake.state.requestedReviewers.set(key, set);
  const sends: Promise<unknown>[] = [];
  for (const login of logins) {
    const lower = login.toLowerCase();
    const reviewer = lower === fake.state.botAccount.login.toLowerCase() ? fake.state.botAccount : fake.state.users.get(lower);
    if (!reviewer) throw validationFailed([{ resource: "PullRequest", code: "invalid", field: "reviewers" }]);
    set.add(reviewer.login);
    pull.updatedAt = now();
    sends.push(fake.webhooks.send("pull_request", reviewRequestedEvent(fake, repo, await liveShas(repo, pull), reviewer, sender)));
  }
  if (opts.awaitDelivery) return Promise.all(sends);
  return [];
}

async function postRequestedReviewers(ctx: Ctx) {
  const { repo, principal } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  if (!ctx.fake.state.canWrite(principal, repo, "pull_requests")) throw notAccessible();
  const pull = findPull(ctx, repo);
  const reviewers = (await readParams(ctx.req)).reviewers;
  if (!Array.isArray(reviewers) || reviewers.some((r) => typeof r !== "string")) {
    throw validationFailed([{ resource: "PullRequest", code: "invalid", field: "reviewers" }]);
  }
  await requestReviewers(ctx.fake, repo, pull, reviewers as string[], actorOf(ctx.fake, principal));
  sendJson(ctx.res, 201, { number: pull.number, requested_reviewers: [...(ctx.fake.state.requestedReviewers.get(`${repo.id}#${pull.number}`) ?? [])] });
}

export const reviewRoutes: Route[] = [
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/, handler: listFiles },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/compare\/(.+)$/, handler: compare },
  { method: "POST", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews$/, handler: createReview },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews$/, handler: listReviews },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/comments$/, handler: listReviewComments },
  { method: "POST", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/requested_reviewers$/, handler: postRequestedReviewers },
];

