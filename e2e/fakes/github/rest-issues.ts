import type { Ctx, Fake, Route } from "./context";
import { HttpError, notAccessible, notFound, readParams, sendJson, str, validationFailed, DOCS_URL } from "./http-util";
import { paginate } from "./pagination";
import { accountJson } from "./render";
import { readableRepo } from "./rest-repos";
import type { Account, IssueComment, Principal, Repo, RepoRole } from "./state";
import { commentJson, issueCommentEvent, issueJson } from "./webhooks";

/** Issues and pull request conversations: comments, reactions to comments, and who may write to a repository. */

const REACTIONS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];

export function actorOf(fake: Fake, p: Principal): Account {
  if (p.kind === "user") return p.user;
  return fake.state.botAccount;
}

function issueOrPull(fake: Fake, repo: Repo, number: number) {
  return (
    fake.state.pulls.find((p) => p.repoId === repo.id && p.number === number) ??
    fake.state.issues.find((i) => i.repoId === repo.id && i.number === number) ??
    null
  );
}

/** An installation writes to conversations with Issues: write (or Pull requests: write on a pull request). */
function mayComment(fake: Fake, p: Principal, repo: Repo, isPull: boolean): boolean {
  if (p.kind !== "installation") return p.kind === "user";
  return fake.state.canWrite(p, repo, "issues") || (isPull && fake.state.canWrite(p, repo, "pull_requests"));
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** Records a comment and sends its `issue_comment` webhook (awaited only when asked). */
export async function addComment(fake: Fake, repo: Repo, number: number, user: Account, body: string, opts: { awaitDelivery?: boolean } = {}) {
  const at = now();
  const comment: IssueComment = { id: fake.state.newId(), repoId: repo.id, number, body, user, createdAt: at, updatedAt: at };
  fake.state.comments.push(comment);
  const sending = fake.webhooks.send("issue_comment", issueCommentEvent(fake, repo, comment));
  const delivery = opts.awaitDelivery ? await sending : (void sending, null);
  return { comment, delivery };
}

function getIssue(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const item = issueOrPull(ctx.fake, repo, Number(ctx.params[2]));
  if (!item) throw notFound();
  sendJson(ctx.res, 200, issueJson(ctx.fake, repo, item));
}

function listComments(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const number = Number(ctx.params[2]);
  if (!issueOrPull(ctx.fake, repo, number)) throw notFound();
  const all = ctx.fake.state.comments.filter((c) => c.repoId === repo.id && c.number === number);
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(ctx.res, 200, page.items.map((c) => commentJson(ctx.fake, repo, c)), page.headers);
}

async function createComment(ctx: Ctx) {
  const { repo, principal } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const number = Number(ctx.params[2]);
  const item = issueOrPull(ctx.fake, repo, number);
  if (!item) throw notFound();
  if (!mayComment(ctx.fake, principal, repo, "headRef" in item)) throw notAccessible();
  const params = await readParams(ctx.req);
  const body = str(params, "body");
  if (!body) throw validationFailed([{ resource: "IssueComment", code: "missing_field", field: "body" }]);
  if (body.length > 65536) throw validationFailed([{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }]);
  const { comment } = await addComment(ctx.fake, repo, number, actorOf(ctx.fake, principal), body);
  sendJson(ctx.res, 201, commentJson(ctx.fake, repo, comment));
}

function findComment(ctx: Ctx, repo: Repo): IssueComment {
  const comment = ctx.fake.state.comments.find((c) => c.repoId === repo.id && c.id === Number(ctx.params[2]));
  if (!comment) throw notFound();
  return comment;
}

function reactionJson(fake: Fake, r: { id: number; content: string; user: Account; createdAt: string }) {
  return { id: r.id, node_id: Buffer.from(`017:Reaction${r.id}`).toString("base64"), user: accountJson(fake, r.user), content: r.content, created_at: r.createdAt };
}

async function createReaction(ctx: Ctx) {
  const { repo, principal } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const comment = findComment(ctx, repo);
  const isPull = ctx.fake.state.pulls.some((p) => p.repoId === repo.id && p.number === comment.number);
  if (!mayComment(ctx.fake, principal, repo, isPull)) throw notAccessible();
  const content = str(await readParams(ctx.req), "content");
  if (!content || !REACTIONS.includes(content)) throw validationFailed([{ resource: "Reaction", code: "invalid", field: "content" }]);
  const user = actorOf(ctx.fake, principal);
  const existing = ctx.fake.state.reactions.find((r) => r.commentId === comment.id && r.content === content && r.user.id === user.id);
  if (existing) {
    sendJson(ctx.res, 200, reactionJson(ctx.fake, existing));
    return;
  }
  const reaction = { id: ctx.fake.state.newId(), repoId: repo.id, commentId: comment.id, content, user, createdAt: now() };
  ctx.fake.state.reactions.push(reaction);
  sendJson(ctx.res, 201, reactionJson(ctx.fake, reaction));
}

function listReactions(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const comment = findComment(ctx, repo);
  const all = ctx.fake.state.reactions.filter((r) => r.commentId === comment.id);
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(ctx.res, 200, page.items.map((r) => reactionJson(ctx.fake, r)), page.headers);
}

/** GitHub's `permission` field: maintain reads as write, triage as read. */
export function permissionOf(role: RepoRole): "admin" | "write" | "read" | "none" {
  if (role === "maintain") return "write";
  if (role === "triage") return "read";
  return role;
}

function getPermission(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const user = ctx.fake.state.users.get(ctx.params[2].toLowerCase());
  if (!user) throw new HttpError(404, "Not Found", { documentation_url: DOCS_URL });
  const role = ctx.fake.state.roleOf(user.login, repo);
  const permission = permissionOf(role);
  const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(role);
  sendJson(ctx.res, 200, {
    permission,
    role_name: role,
    user: {
      ...accountJson(ctx.fake, user),
      permissions: { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 },
      role_name: role,
    },
  });
}

export const issueRoutes: Route[] = [
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/, handler: getIssue },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, handler: listComments },
  { method: "POST", pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, handler: createComment },
  { method: "POST", pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/, handler: createReaction },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/, handler: listReactions },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/, handler: getPermission },
];
