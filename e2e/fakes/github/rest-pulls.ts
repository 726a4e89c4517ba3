import type { Ctx, Route } from "./context";
import { branchSha, isAncestor } from "./git-repos";
import { notAccessible, notFound, readParams, sendJson, str, validationFailed } from "./http-util";
import { paginate } from "./pagination";
import { pullJson } from "./render";
import { readableRepo } from "./rest-repos";
import type { Principal, Pull, Repo } from "./state";

/** Pull requests, kept in memory; head and base SHAs of open PRs are read live from the bare repo. */

function writableRepo(ctx: Ctx): { repo: Repo; principal: Principal } {
  const found = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  if (!ctx.fake.state.canWrite(found.principal, found.repo, "pull_requests")) throw notAccessible();
  return found;
}

/** "owner:branch" or "branch" → branch, when the owner is the repo's own (no forks here). */
function headBranch(repo: Repo, head: string): string | null {
  const colon = head.indexOf(":");
  if (colon < 0) return head;
  return head.slice(0, colon).toLowerCase() === repo.owner.login.toLowerCase() ? head.slice(colon + 1) : null;
}

async function refreshShas(repo: Repo, pull: Pull): Promise<Pull> {
  if (pull.state === "open") {
    pull.headSha = (await branchSha(repo.dir, pull.headRef)) ?? pull.headSha;
    pull.baseSha = (await branchSha(repo.dir, pull.baseRef)) ?? pull.baseSha;
  }
  return pull;
}

function findPull(ctx: Ctx, repo: Repo): Pull {
  const number = Number(ctx.params[2]);
  const pull = ctx.fake.state.pulls.find((p) => p.repoId === repo.id && p.number === number);
  if (!pull) throw notFound();
  return pull;
}

async function createPull(ctx: Ctx) {
  const { repo, principal } = writableRepo(ctx);
  const state = ctx.fake.state;
  const body = await readParams(ctx.req);
  const title = str(body, "title");
  const head = str(body, "head");
  const base = str(body, "base");
  const missing = (field: string) => ({ resource: "PullRequest", code: "missing_field", field });
  if (!title || !head || !base) {
    throw validationFailed([!title && missing("title"), !head && missing("head"), !base && missing("base")].filter((e) => e !== false));
  }

  const headRef = headBranch(repo, head);
  const headSha = headRef ? await branchSha(repo.dir, headRef) : null;
  const baseSha = await branchSha(repo.dir, base);
  if (!headRef || !headSha) throw validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
  if (!baseSha) throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);

  const open = state.pulls.find((p) => p.repoId === repo.id && p.state === "open" && p.headRef === headRef);
  if (open) {
    throw validationFailed([
      { resource: "PullRequest", code: "custom", message: `A pull request already exists for ${repo.owner.login}:${headRef}.` },
    ]);
  }
  if (await isAncestor(repo.dir, headSha, baseSha)) {
    throw validationFailed([{ resource: "PullRequest", code: "custom", message: `No commits between ${base} and ${headRef}` }]);
  }

  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const number = state.nextNumber(repo.id);
  const pull: Pull = {
    id: state.newPullId(),
    number,
    repoId: repo.id,
    title,
    body: str(body, "body") ?? null,
    state: "open",
    draft: body.draft === true,
    headRef,
    headSha,
    baseRef: base,
    baseSha,
    user: principal.kind === "user" ? principal.user : state.botAccount,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
  };
  state.pulls.push(pull);
  const json = pullJson(ctx.fake, repo, pull);
  sendJson(ctx.res, 201, json, { location: json.url });
}

async function listPulls(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const q = ctx.url.searchParams;
  const wantState = q.get("state") ?? "open";
  const head = q.get("head");
  const headRef = head ? headBranch(repo, head) : undefined;
  const base = q.get("base");
  let all = ctx.fake.state.pulls.filter(
    (p) =>
      p.repoId === repo.id &&
      (wantState === "all" || p.state === wantState) &&
      (headRef === undefined || p.headRef === headRef) &&
      (!base || p.baseRef === base),
  );
  all = [...all].sort((a, b) => b.number - a.number);
  if (q.get("direction") === "asc") all.reverse();
  const page = paginate(ctx.req, ctx.url, all);
  const items = await Promise.all(page.items.map((p) => refreshShas(repo, p)));
  sendJson(ctx.res, 200, items.map((p) => pullJson(ctx.fake, repo, p)), page.headers);
}

async function getPull(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const pull = await refreshShas(repo, findPull(ctx, repo));
  sendJson(ctx.res, 200, pullJson(ctx.fake, repo, pull));
}

async function updatePull(ctx: Ctx) {
  const { repo } = writableRepo(ctx);
  const pull = findPull(ctx, repo);
  const body = await readParams(ctx.req);
  const title = str(body, "title");
  const text = body.body;
  const wantState = str(body, "state");
  const base = str(body, "base");
  if (wantState !== undefined && wantState !== "open" && wantState !== "closed") {
    throw validationFailed([{ resource: "PullRequest", field: "state", code: "invalid" }]);
  }
  if (base !== undefined && !(await branchSha(repo.dir, base))) {
    throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
  }
  if (wantState === "open" && pull.state === "closed") {
    const other = ctx.fake.state.pulls.find((p) => p !== pull && p.repoId === repo.id && p.state === "open" && p.headRef === pull.headRef);
    if (other) {
      throw validationFailed([
        { resource: "PullRequest", code: "custom", message: `A pull request already exists for ${repo.owner.login}:${pull.headRef}.` },
      ]);
    }
  }
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  if (title !== undefined) pull.title = title;
  if (typeof text === "string" || text === null) pull.body = text;
  if (base !== undefined) pull.baseRef = base;
  if (wantState !== undefined && wantState !== pull.state) {
    if (wantState === "closed") await refreshShas(repo, pull);
    pull.state = wantState;
    pull.closedAt = wantState === "closed" ? now : null;
  }
  pull.updatedAt = now;
  sendJson(ctx.res, 200, pullJson(ctx.fake, repo, await refreshShas(repo, pull)));
}

export const pullRoutes: Route[] = [
  { method: "POST", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls$/, handler: createPull },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls$/, handler: listPulls },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/, handler: getPull },
  { method: "PATCH", pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/, handler: updatePull },
];
