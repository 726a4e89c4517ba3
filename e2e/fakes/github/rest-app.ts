import { requireApp, requireAuth } from "./auth";
import type { Ctx, Route } from "./context";
import { DOCS_URL, HttpError, notAccessible, notFound, readParams, sendJson, validationFailed } from "./http-util";
import { paginate } from "./pagination";
import { appJson, installationJson, repoJson } from "./render";
import type { Installation } from "./state";

/** App-level endpoints (JWT) and the installation-token view of an installation. */

const LEVEL: Record<string, number> = { read: 1, write: 2, admin: 3 };

function getApp(ctx: Ctx) {
  requireApp(ctx.fake, ctx.req);
  sendJson(ctx.res, 200, appJson(ctx.fake));
}

function listAppInstallations(ctx: Ctx) {
  requireApp(ctx.fake, ctx.req);
  const all = [...ctx.fake.state.installations.values()].sort((a, b) => a.id - b.id);
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(ctx.res, 200, page.items.map((i) => installationJson(ctx.fake, i)), page.headers);
}

function installationById(ctx: Ctx): Installation {
  const installation = ctx.fake.state.installations.get(Number(ctx.params[0]));
  if (!installation) throw notFound();
  return installation;
}

function getAppInstallation(ctx: Ctx) {
  requireApp(ctx.fake, ctx.req);
  sendJson(ctx.res, 200, installationJson(ctx.fake, installationById(ctx)));
}

async function createAccessToken(ctx: Ctx) {
  requireApp(ctx.fake, ctx.req);
  const installation = installationById(ctx);
  const state = ctx.fake.state;
  const body = await readParams(ctx.req);
  const own = state.reposOfInstallation(installation.id);

  let repoIds: Set<number> | null = null;
  const names = body.repositories;
  const ids = body.repository_ids;
  if (names !== undefined || ids !== undefined) {
    if ((names !== undefined && !Array.isArray(names)) || (ids !== undefined && !Array.isArray(ids))) {
      throw validationFailed([{ resource: "Installation", code: "invalid", field: "repositories" }]);
    }
    repoIds = new Set();
    for (const n of (names ?? []) as unknown[]) {
      const r = own.find((x) => x.name.toLowerCase() === String(n).toLowerCase());
      if (!r) throw new HttpError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.", { documentation_url: DOCS_URL });
      repoIds.add(r.id);
    }
    for (const id of (ids ?? []) as unknown[]) {
      const r = own.find((x) => x.id === Number(id));
      if (!r) throw new HttpError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.", { documentation_url: DOCS_URL });
      repoIds.add(r.id);
    }
  }

  let permissions = { ...installation.permissions };
  if (body.permissions !== undefined) {
    if (body.permissions === null || typeof body.permissions !== "object" || Array.isArray(body.permissions)) {
      throw validationFailed([{ resource: "Installation", code: "invalid", field: "permissions" }]);
    }
    permissions = {};
    for (const [area, level] of Object.entries(body.permissions as Record<string, unknown>)) {
      const granted = installation.permissions[area];
      if (!granted || !LEVEL[String(level)] || LEVEL[String(level)] > LEVEL[granted]) {
        throw new HttpError(422, "The permissions requested are not granted to this installation.", { documentation_url: DOCS_URL });
      }
      permissions[area] = String(level);
    }
  }

  const token = state.issueInstallationToken(installation, repoIds, permissions);
  const restricted = repoIds;
  sendJson(ctx.res, 201, {
    token: token.token,
    expires_at: new Date(token.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
    permissions,
    repository_selection: restricted ? "selected" : installation.repositorySelection,
    ...(restricted ? { repositories: own.filter((r) => restricted.has(r.id)).map((r) => repoJson(ctx.fake, r)) } : {}),
  });
}

function getRepoInstallation(ctx: Ctx) {
  requireApp(ctx.fake, ctx.req);
  const repo = ctx.fake.state.findRepo(ctx.params[0], ctx.params[1]);
  const installation = repo && ctx.fake.state.installations.get(repo.installationId);
  if (!installation) throw notFound();
  sendJson(ctx.res, 200, installationJson(ctx.fake, installation));
}

function getAccountInstallation(ctx: Ctx) {
  requireApp(ctx.fake, ctx.req);
  const login = ctx.params[0].toLowerCase();
  const installation = [...ctx.fake.state.installations.values()].find((i) => i.account.login.toLowerCase() === login);
  if (!installation) throw notFound();
  sendJson(ctx.res, 200, installationJson(ctx.fake, installation));
}

function listTokenRepos(ctx: Ctx) {
  const p = requireAuth(ctx.fake, ctx.req);
  if (p.kind !== "installation") throw notAccessible();
  const all = ctx.fake.state.reposOfInstallation(p.installation.id).filter((r) => ctx.fake.state.canRead(p, r));
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(
    ctx.res,
    200,
    {
      total_count: all.length,
      repository_selection: p.token.repoIds ? "selected" : p.installation.repositorySelection,
      repositories: page.items.map((r) => repoJson(ctx.fake, r)),
    },
    page.headers,
  );
}

function revokeToken(ctx: Ctx) {
  const p = requireAuth(ctx.fake, ctx.req);
  if (p.kind !== "installation") throw notAccessible();
  p.token.revoked = true;
  sendJson(ctx.res, 204, null);
}

export const appRoutes: Route[] = [
  { method: "GET", pattern: /^\/app$/, handler: getApp },
  { method: "GET", pattern: /^\/app\/installations$/, handler: listAppInstallations },
  { method: "GET", pattern: /^\/app\/installations\/(\d+)$/, handler: getAppInstallation },
  { method: "POST", pattern: /^\/app\/installations\/(\d+)\/access_tokens$/, handler: createAccessToken },
  { method: "GET", pattern: /^\/repos\/([^/]+)\/([^/]+)\/installation$/, handler: getRepoInstallation },
  { method: "GET", pattern: /^\/(?:orgs|users)\/([^/]+)\/installation$/, handler: getAccountInstallation },
  { method: "GET", pattern: /^\/installation\/repositories$/, handler: listTokenRepos },
  { method: "DELETE", pattern: /^\/installation\/token$/, handler: revokeToken },
];
