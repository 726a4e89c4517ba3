import { authenticate } from "./auth";
import type { Ctx, Route } from "./context";
import { branchSha, readBranches } from "./git-repos";
import { notFound, sendJson } from "./http-util";
import { paginate } from "./pagination";
import { repoJson } from "./render";
import type { Principal, Repo } from "./state";

/**
 * The repo a request names, when its principal may read it. Anything else is a 404, as GitHub
 * answers for private repositories it hides.
 */
export function readableRepo(ctx: Ctx, owner: string, name: string): { repo: Repo; principal: Principal } {
  const principal = authenticate(ctx.fake, ctx.req);
  const repo = ctx.fake.state.findRepo(owner, name);
  if (!principal || !repo || !ctx.fake.state.canRead(principal, repo)) throw notFound();
  return { repo, principal };
}

function permissionsFor(ctx: Ctx, p: Principal, repo: Repo) {
  if (p.kind === "user") return ctx.fake.state.userPermissions(p.user.login, repo);
  return { admin: false, maintain: false, push: false, triage: false, pull: true };
}

function getRepo(ctx: Ctx) {
  const { repo, principal } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  sendJson(ctx.res, 200, repoJson(ctx.fake, repo, permissionsFor(ctx, principal, repo)));
}

function branchJson(ctx: Ctx, repo: Repo, name: string, sha: string) {
  return {
    name,
    commit: { sha, url: `${ctx.fake.apiUrl}/repos/${repo.fullName}/commits/${sha}` },
    protected: false,
  };
}

async function listBranches(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const branches = Object.entries(await readBranches(repo.dir)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const page = paginate(ctx.req, ctx.url, branches);
  sendJson(ctx.res, 200, page.items.map(([name, sha]) => branchJson(ctx, repo, name, sha)), page.headers);
}

async function getBranch(ctx: Ctx) {
  const { repo } = readableRepo(ctx, ctx.params[0], ctx.params[1]);
  const name = ctx.params[2];
  const sha = await branchSha(repo.dir, name);
  if (!sha) {
    sendJson(ctx.res, 404, { message: "Branch not found", documentation_url: "https://docs.github.com/rest/branches/branches#get-a-branch" });
    return;
  }
  const html = `${ctx.fake.webUrl}/${repo.fullName}`;
  sendJson(ctx.res, 200, {
    ...branchJson(ctx, repo, name, sha),
    _links: { self: `${ctx.fake.apiUrl}/repos/${repo.fullName}/branches/${encodeURIComponent(name)}`, html: `${html}/tree/${name}` },
    protection: { enabled: false, required_status_checks: { enforcement_level: "off", contexts: [], checks: [] } },
    protection_url: `${ctx.fake.apiUrl}/repos/${repo.fullName}/branches/${encodeURIComponent(name)}/protection`,
  });
}

export const repoRoutes: Route[] = [
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)$/, handler: getRepo },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/branches$/, handler: listBranches },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/, handler: getBranch },
];
