import type { Ctx, Route } from "./context";
import { escapeHtml, notFound, sendHtml } from "./http-util";

/** A few web pages the app links to (avatars, repo and PR pages), so links work in the offline demo. */

function avatar(ctx: Ctx) {
  const id = Number(ctx.params[0]);
  const account = [...ctx.fake.state.accounts.values(), ctx.fake.state.botAccount].find((a) => a.id === id);
  const letter = escapeHtml((account?.login ?? "?").charAt(0).toUpperCase());
  const hue = (id * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96"><rect width="96" height="96" fill="hsl(${hue},55%,55%)"/><text x="48" y="62" font-family="sans-serif" font-size="44" text-anchor="middle" fill="#fff">${letter}</text></svg>`;
  ctx.res.writeHead(200, { "content-type": "image/svg+xml", "content-length": Buffer.byteLength(svg), "cache-control": "public, max-age=3600" });
  ctx.res.end(svg);
}

function repoPage(ctx: Ctx) {
  const repo = ctx.fake.state.findRepo(ctx.params[0], ctx.params[1]);
  if (!repo) throw notFound();
  sendHtml(ctx.res, 200, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(repo.fullName)}</title></head><body><h1>${escapeHtml(repo.fullName)}</h1><p>Default branch: ${escapeHtml(repo.defaultBranch)}</p></body></html>`);
}

function pullPage(ctx: Ctx) {
  const repo = ctx.fake.state.findRepo(ctx.params[0], ctx.params[1]);
  const pull = repo && ctx.fake.state.pulls.find((p) => p.repoId === repo.id && p.number === Number(ctx.params[2]));
  if (!repo || !pull) throw notFound();
  const status = pull.state === "open" ? (pull.draft ? "Draft" : "Open") : "Closed";
  sendHtml(
    ctx.res,
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(pull.title)} · Pull Request #${pull.number} · ${escapeHtml(repo.fullName)}</title></head>
<body><h1>${escapeHtml(pull.title)} <span>#${pull.number}</span></h1>
<p><strong>${status}</strong> ${escapeHtml(pull.user.login)} wants to merge into <code>${escapeHtml(pull.baseRef)}</code> from <code>${escapeHtml(pull.headRef)}</code></p>
<pre style="white-space:pre-wrap">${escapeHtml(pull.body ?? "")}</pre></body></html>`,
  );
}

export const webRoutes: Route[] = [
  { method: "GET", pattern: /^\/avatars\/u\/(\d+)$/, handler: avatar },
  { method: "GET", pattern: /^\/([^/_][^/]*)\/([^/]+)\/pull\/(\d+)\/?$/, handler: pullPage },
  { method: "GET", pattern: /^\/([^/_][^/]*)\/([^/.]+)\/?$/, handler: repoPage },
];
