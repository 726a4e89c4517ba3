import type { Ctx, Route } from "./context";
import { describeFault, parseFault } from "./faults";
import { git } from "./git-cli";
import { deleteBranch, isSafeRefName, readBranches, resolveCommit, setBranch } from "./git-repos";
import { HttpError, notFound, readParams, sendJson, str } from "./http-util";
import type { Repo } from "./state";

/** The test control API under /_fake/ (not part of GitHub). See the list at the top of server.ts. */

function repoOf(ctx: Ctx): Repo {
  const repo = ctx.fake.state.findRepo(ctx.params[0], ctx.params[1]);
  if (!repo) throw notFound();
  return repo;
}

async function reset(ctx: Ctx) {
  ctx.fake.state.load();
  ctx.fake.webhooks.deliveries = [];
  await ctx.fake.recreateRepos();
  sendJson(ctx.res, 200, { ok: true });
}

async function addFault(ctx: Ctx) {
  const fault = parseFault(await readParams(ctx.req));
  ctx.fake.state.faults.push(fault);
  sendJson(ctx.res, 201, describeFault(fault));
}

function listFaults(ctx: Ctx) {
  sendJson(ctx.res, 200, ctx.fake.state.faults.map(describeFault));
}

function clearFaults(ctx: Ctx) {
  const cleared = ctx.fake.state.faults.length;
  ctx.fake.state.faults = [];
  sendJson(ctx.res, 200, { cleared });
}

async function expireTokens(ctx: Ctx) {
  const body = await readParams(ctx.req);
  const installationId = body.installation_id ?? body.installationId;
  const expired = ctx.fake.state.expireTokens({
    login: str(body, "login"),
    installationId: installationId === undefined ? undefined : Number(installationId),
    refreshTokens: body.refresh_tokens === true || body.refreshTokens === true,
  });
  sendJson(ctx.res, 200, { expired });
}

function getState(ctx: Ctx) {
  sendJson(ctx.res, 200, ctx.fake.state.summary());
}

async function getRefs(ctx: Ctx) {
  sendJson(ctx.res, 200, await readBranches(repoOf(ctx).dir));
}

async function putBranch(ctx: Ctx) {
  const repo = repoOf(ctx);
  const body = await readParams(ctx.req);
  const name = str(body, "name");
  const from = str(body, "from") ?? repo.defaultBranch;
  if (!name || !isSafeRefName(name)) throw new HttpError(422, "name must be a valid branch name");
  const sha = await resolveCommit(repo.dir, from);
  if (!sha) throw new HttpError(422, `from "${from}" is neither a branch nor a commit of ${repo.fullName}`);
  await setBranch(repo.dir, name, sha);
  sendJson(ctx.res, 201, { name, sha });
}

async function removeBranch(ctx: Ctx) {
  const repo = repoOf(ctx);
  if (!(await deleteBranch(repo.dir, ctx.params[2]))) throw notFound();
  sendJson(ctx.res, 204, null);
}

/** A commit of a repo: its parents and its patch against the first parent (what a test compares with an attempt's diff). */
async function getCommit(ctx: Ctx) {
  const repo = repoOf(ctx);
  const sha = await resolveCommit(repo.dir, ctx.params[2]);
  if (!sha) throw notFound();
  const parents = (await git(["rev-list", "--parents", "-n", "1", sha], { cwd: repo.dir })).trim().split(" ").slice(1);
  const diff = parents[0]
    ? await git(["diff", "--binary", "--find-renames", parents[0], sha], { cwd: repo.dir })
    : "";
  const message = await git(["log", "-1", "--format=%an <%ae>%n%B", sha], { cwd: repo.dir });
  sendJson(ctx.res, 200, { sha, parents, diff, author: message.split("\n")[0], message: message.split("\n").slice(1).join("\n").trim() });
}

export const controlRoutes: Route[] = [
  { method: "POST", pattern: /^\/_fake\/reset$/, handler: reset },
  { method: "POST", pattern: /^\/_fake\/faults$/, handler: addFault },
  { method: "GET", pattern: /^\/_fake\/faults$/, handler: listFaults },
  { method: "DELETE", pattern: /^\/_fake\/faults$/, handler: clearFaults },
  { method: "POST", pattern: /^\/_fake\/tokens\/expire$/, handler: expireTokens },
  { method: "GET", pattern: /^\/_fake\/state$/, handler: getState },
  { method: "GET", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/refs$/, handler: getRefs },
  { method: "POST", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/branches$/, handler: putBranch },
  { method: "GET", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)$/, handler: getCommit },
  { method: "DELETE", pattern: /^\/_fake\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/, handler: removeBranch },
];
