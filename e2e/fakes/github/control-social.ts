import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Ctx, Route } from "./context";
import { git } from "./git-cli";
import { branchSha, isSafeRefName, resolveCommit, setBranch } from "./git-repos";
import { HttpError, notFound, readParams, sendJson, str } from "./http-util";
import { pullJson } from "./render";
import { addComment } from "./rest-issues";
import { requestReviewers } from "./rest-reviews";
import type { Account, Issue, Pull, Repo, RepoRole } from "./state";
import { commentJson, issueJson, type Delivery } from "./webhooks";

/**
 * Control API for what people do on GitHub (not GitHub's API; never subject to faults): open issues and pull
 * requests, comment, request reviews, give roles, commit. Comments and review requests send the App's webhook;
 * these calls wait for the delivery and return its answer. See server.ts for the list.
 */

const ROLES: RepoRole[] = ["admin", "maintain", "write", "triage", "read", "none"];
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function repoOf(ctx: Ctx): Repo {
  const repo = ctx.fake.state.findRepo(ctx.params[0], ctx.params[1]);
  if (!repo) throw notFound();
  return repo;
}

function userOf(ctx: Ctx, login: string | undefined): Account {
  const user = login ? ctx.fake.state.users.get(login.toLowerCase()) : undefined;
  if (!user) throw new HttpError(422, `user must be one of the fixture's users`);
  return user;
}

function deliveryJson(d: Delivery | null) {
  if (!d) return null;
  return { guid: d.guid, event: d.event, action: d.action, redelivery: d.redelivery, status: d.status, response: d.response, deliveredAt: d.deliveredAt };
}

async function configureWebhooks(ctx: Ctx) {
  const body = await readParams(ctx.req);
  const hooks = ctx.fake.webhooks;
  if (body.url === null || typeof body.url === "string") hooks.config.url = (body.url as string | null) || null;
  if (typeof body.secret === "string") hooks.config.secret = body.secret;
  if (Array.isArray(body.events)) hooks.config.events = body.events.map(String);
  sendJson(ctx.res, 200, hooks.config);
}

function listDeliveries(ctx: Ctx) {
  sendJson(ctx.res, 200, ctx.fake.webhooks.deliveries.map(deliveryJson));
}

async function redeliver(ctx: Ctx) {
  const d = await ctx.fake.webhooks.redeliver(ctx.params[0]);
  if (!d) throw notFound();
  sendJson(ctx.res, 200, deliveryJson(d));
}

/** Any payload, signed well, badly or not at all: for the receiver's own checks. */
async function sendRaw(ctx: Ctx) {
  const body = await readParams(ctx.req);
  const event = str(body, "event");
  const payload = body.payload;
  if (!event || !payload || typeof payload !== "object") throw new HttpError(422, "event and payload are required");
  const signature = str(body, "signature");
  if (signature !== undefined && !["valid", "bad", "none"].includes(signature)) throw new HttpError(422, "signature: valid | bad | none");
  const d = await ctx.fake.webhooks.send(event, payload as Record<string, unknown>, {
    guid: str(body, "guid"),
    signature: signature as "valid" | "bad" | "none" | undefined,
  });
  if (!d) throw new HttpError(409, "no webhook URL is configured (POST /_fake/webhooks {url})");
  sendJson(ctx.res, 200, deliveryJson(d));
}

async function openIssue(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = await readParams(ctx.req);
  const title = str(body, "title");
  if (!title) throw new HttpError(422, "title is required");
  const at = now();
  const issue: Issue = {
    id: ctx.fake.state.newId(),
    number: ctx.fake.state.nextNumber(repo.id),
    repoId: repo.id,
    title,
    body: str(body, "body") ?? null,
    state: "open",
    user: userOf(ctx, str(body, "user")),
    createdAt: at,
    updatedAt: at,
  };
  ctx.fake.state.issues.push(issue);
  sendJson(ctx.res, 201, issueJson(ctx.fake, repo, issue));
}

async function comment(ctx: Ctx) {
  const repo = repoOf(ctx);
  const number = Number(ctx.params[2]);
  const exists = [...ctx.fake.state.pulls, ...ctx.fake.state.issues].some((x) => x.repoId === repo.id && x.number === number);
  if (!exists) throw notFound();
  const body = await readParams(ctx.req);
  const text = str(body, "body");
  if (!text) throw new HttpError(422, "body is required");
  const { comment: c, delivery } = await addComment(ctx.fake, repo, number, userOf(ctx, str(body, "user")), text, { awaitDelivery: true });
  sendJson(ctx.res, 201, { comment: commentJson(ctx.fake, repo, c), delivery: deliveryJson(delivery) });
}

async function openPull(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = await readParams(ctx.req);
  const head = str(body, "head");
  const base = str(body, "base") ?? repo.defaultBranch;
  const title = str(body, "title");
  if (!head || !title) throw new HttpError(422, "head and title are required");
  const [headSha, baseSha] = await Promise.all([branchSha(repo.dir, head), branchSha(repo.dir, base)]);
  if (!headSha || !baseSha) throw new HttpError(422, "head and base must be branches of the repository");
  const at = now();
  const pull: Pull = {
    id: ctx.fake.state.newPullId(),
    number: ctx.fake.state.nextNumber(repo.id),
    repoId: repo.id,
    title,
    body: str(body, "body") ?? null,
    state: "open",
    draft: body.draft === true,
    headRef: head,
    headSha,
    baseRef: base,
    baseSha,
    user: userOf(ctx, str(body, "user")),
    createdAt: at,
    updatedAt: at,
    closedAt: null,
  };
  ctx.fake.state.pulls.push(pull);
  sendJson(ctx.res, 201, pullJson(ctx.fake, repo, pull));
}

async function requestReview(ctx: Ctx) {
  const repo = repoOf(ctx);
  const pull = ctx.fake.state.pulls.find((p) => p.repoId === repo.id && p.number === Number(ctx.params[2]));
  if (!pull) throw notFound();
  const body = await readParams(ctx.req);
  const reviewers = Array.isArray(body.reviewers) ? body.reviewers.map(String) : [];
  const sent = await requestReviewers(ctx.fake, repo, pull, reviewers, userOf(ctx, str(body, "user")), { awaitDelivery: true });
  sendJson(ctx.res, 201, { deliveries: (sent as (Delivery | null)[]).map(deliveryJson) });
}

async function setRole(ctx: Ctx) {
  const repo = repoOf(ctx);
  const login = ctx.params[2].toLowerCase();
  if (!ctx.fake.state.users.has(login)) throw new HttpError(422, `${ctx.params[2]} is not a fixture user`);
  const role = str(await readParams(ctx.req), "permission") as RepoRole | undefined;
  if (!role || !ROLES.includes(role)) throw new HttpError(422, `permission: ${ROLES.join(" | ")}`);
  const roles = ctx.fake.state.collaborators.get(repo.id) ?? new Map<string, RepoRole>();
  roles.set(login, role);
  ctx.fake.state.collaborators.set(repo.id, roles);
  sendJson(ctx.res, 200, { login, permission: role });
}

/** Everything said on an issue or pull request: comments, reviews with their inline comments, reactions. */
function conversation(ctx: Ctx) {
  const repo = repoOf(ctx);
  const number = Number(ctx.params[2]);
  const s = ctx.fake.state;
  const comments = s.comments.filter((c) => c.repoId === repo.id && c.number === number);
  sendJson(ctx.res, 200, {
    comments: comments.map((c) => ({
      id: c.id,
      user: c.user.login,
      body: c.body,
      reactions: s.reactions.filter((r) => r.commentId === c.id).map((r) => ({ content: r.content, user: r.user.login })),
    })),
    reviews: s.reviews
      .filter((r) => r.repoId === repo.id && r.number === number)
      .map((r) => ({
        id: r.id,
        user: r.user.login,
        state: r.state,
        body: r.body,
        commitId: r.commitId,
        comments: r.comments.map((c) => ({ path: c.path, line: c.line, side: c.side, startLine: c.startLine, body: c.body })),
      })),
  });
}

/** A commit by someone else: `files` maps paths to new contents (null deletes), on `branch` (made from `from`). */
async function commit(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = await readParams(ctx.req);
  const branch = str(body, "branch");
  const files = body.files as Record<string, string | null> | undefined;
  if (!branch || !isSafeRefName(branch) || !files || typeof files !== "object") throw new HttpError(422, "branch and files are required");
  const parent = (await branchSha(repo.dir, branch)) ?? (await resolveCommit(repo.dir, str(body, "from") ?? repo.defaultBranch));
  if (!parent) throw new HttpError(422, "no such branch to start from");
  const tmp = await mkdtemp(path.join(os.tmpdir(), "fake-commit-"));
  const author = str(body, "author") ?? "Mallory <mallory@example.com>";
  const [, name = "Mallory", email = "mallory@example.com"] = /^(.*?)\s*<(.*)>$/.exec(author) ?? [];
  const env = {
    GIT_INDEX_FILE: path.join(tmp, "index"),
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
  };
  try {
    await git(["read-tree", parent], { cwd: repo.dir, env });
    for (const [file, content] of Object.entries(files)) {
      if (content === null) {
        await git(["update-index", "--force-remove", "--", file], { cwd: repo.dir, env });
        continue;
      }
      const blob = (await git(["hash-object", "-w", "--stdin"], { cwd: repo.dir, env, input: content })).trim();
      await git(["update-index", "--add", "--cacheinfo", `100644,${blob},${file}`], { cwd: repo.dir, env });
    }
    const tree = (await git(["write-tree"], { cwd: repo.dir, env })).trim();
    const sha = (await git(["commit-tree", tree, "-p", parent, "-m", str(body, "message") ?? "Change"], { cwd: repo.dir, env })).trim();
    await setBranch(repo.dir, branch, sha);
    sendJson(ctx.res, 201, { branch, sha, parent });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export const socialControlRoutes: Route[] = [
  { method: "POST", pattern: /^\/_fake\/webhooks$/, handler: configureWebhooks },
  { method: "GET", pattern: /^\/_fake\/webhooks\/deliveries$/, handler: listDeliveries },
  { method: "POST", pattern: /^\/_fake\/webhooks\/deliveries\/([^/]+)\/redeliver$/, handler: redeliver },
  { method: "POST", pattern: /^\/_fake\/webhooks\/send$/, handler: sendRaw },
  { method: "POST", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/issues$/, handler: openIssue },
  { method: "POST", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, handler: comment },
  { method: "GET", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/conversation$/, handler: conversation },
  { method: "POST", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/pulls$/, handler: openPull },
  { method: "POST", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/requested_reviewers$/, handler: requestReview },
  { method: "PUT", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)$/, handler: setRole },
  { method: "POST", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/commits$/, handler: commit },
];
