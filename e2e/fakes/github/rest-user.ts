import { requireUser } from "./auth";
import type { Ctx, Route } from "./context";
import { notFound, sendJson } from "./http-util";
import { paginate } from "./pagination";
import { installationJson, repoJson, userJson } from "./render";

/** Endpoints for a user token: who am I, my emails, the App installations and repos I can reach. */

function getUser(ctx: Ctx) {
  const p = requireUser(ctx.fake, ctx.req);
  sendJson(ctx.res, 200, userJson(ctx.fake, p.user));
}

function getEmails(ctx: Ctx) {
  const p = requireUser(ctx.fake, ctx.req);
  const emails = p.user.email ? [{ email: p.user.email, primary: true, verified: true, visibility: "private" }] : [];
  sendJson(ctx.res, 200, emails);
}

function listInstallations(ctx: Ctx) {
  const p = requireUser(ctx.fake, ctx.req);
  const all = ctx.fake.state.installationsOfUser(p.user.login);
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(ctx.res, 200, { total_count: all.length, installations: page.items.map((i) => installationJson(ctx.fake, i)) }, page.headers);
}

function listInstallationRepos(ctx: Ctx) {
  const p = requireUser(ctx.fake, ctx.req);
  const state = ctx.fake.state;
  const installation = state.installations.get(Number(ctx.params[0]));
  if (!installation || !installation.users.has(p.user.login.toLowerCase())) throw notFound();
  const all = state.reposOfInstallation(installation.id);
  const page = paginate(ctx.req, ctx.url, all);
  sendJson(
    ctx.res,
    200,
    {
      total_count: all.length,
      repository_selection: installation.repositorySelection,
      repositories: page.items.map((r) => repoJson(ctx.fake, r, state.userPermissions(p.user.login, r))),
    },
    page.headers,
  );
}

export const userRoutes: Route[] = [
  { method: "GET", pattern: /^\/user$/, handler: getUser },
  { method: "GET", pattern: /^\/user\/emails$/, handler: getEmails },
  { method: "GET", pattern: /^\/user\/installations$/, handler: listInstallations },
  { method: "GET", pattern: /^\/user\/installations\/(\d+)\/repositories$/, handler: listInstallationRepos },
];
