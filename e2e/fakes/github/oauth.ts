import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Ctx, Route } from "./context";
import { escapeHtml, readParams, redirect, sendHtml, sendJson, str, type Body } from "./http-util";
import { REFRESH_TOKEN_TTL_S, USER_TOKEN_TTL_S, type FakeState } from "./state";

/** GitHub App user authorization (web flow): authorize page, code, token exchange and refresh. */

const CODE_TTL_MS = 10 * 60 * 1000;
const OAUTH_DOCS = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

function page(title: string, inner: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
form{display:grid;gap:.75rem}input{padding:.4rem;font-size:1rem}button{padding:.5rem;font-size:1rem}
.error{color:#cf222e;border:1px solid #cf222e;padding:.5rem;border-radius:6px}</style></head>
<body><main>${inner}</main></body></html>`;
}

function errorPage(res: ServerResponse, status: number, message: string): void {
  sendHtml(res, status, page("Error", `<h1>Error</h1><p class="error" role="alert">${escapeHtml(message)}</p>`));
}

function validRedirect(uri: string | undefined): uri is string {
  if (!uri) return false;
  try {
    const u = new URL(uri);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

type AuthorizeParams = { clientId: string; redirectUri: string; state: string; scope: string; login: string };

function authorizeForm(state: FakeState, p: AuthorizeParams, error?: string): string {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return page(
    `Authorize ${state.app.name}`,
    `<h1>Authorize ${escapeHtml(state.app.name)}</h1>
<p>${escapeHtml(state.app.name)} wants to know who you are on this fake GitHub.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/login/oauth/authorize">
${hidden("client_id", p.clientId)}${hidden("redirect_uri", p.redirectUri)}${hidden("state", p.state)}${hidden("scope", p.scope)}
<label for="login">Username</label>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${escapeHtml(p.login)}">
<button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="deny" formnovalidate>Cancel</button>
</form>
<p><small>Known users: ${[...state.users.values()].map((u) => escapeHtml(u.login)).join(", ")}</small></p>`,
  );
}

function paramsFrom(get: (k: string) => string | undefined): AuthorizeParams {
  return {
    clientId: get("client_id") ?? "",
    redirectUri: get("redirect_uri") ?? "",
    state: get("state") ?? "",
    scope: get("scope") ?? "",
    login: get("login") ?? "",
  };
}

/** Checks client_id and redirect_uri; answers with an error page and returns false when wrong. */
function checkClient(ctx: Ctx, p: AuthorizeParams): boolean {
  if (p.clientId !== ctx.fake.state.app.clientId) {
    errorPage(ctx.res, 400, `Unknown client_id "${p.clientId}".`);
    return false;
  }
  if (!validRedirect(p.redirectUri)) {
    errorPage(ctx.res, 400, "The redirect_uri is missing or is not an http(s) URL.");
    return false;
  }
  return true;
}

function withQuery(uri: string, params: Record<string, string>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== "") u.searchParams.set(k, v);
  return u.toString();
}

async function showAuthorize(ctx: Ctx): Promise<void> {
  const p = paramsFrom((k) => ctx.url.searchParams.get(k) ?? undefined);
  if (!checkClient(ctx, p)) return;
  sendHtml(ctx.res, 200, authorizeForm(ctx.fake.state, p));
}

async function confirmAuthorize(ctx: Ctx): Promise<void> {
  const body = await readParams(ctx.req);
  const p = paramsFrom((k) => str(body, k));
  if (!checkClient(ctx, p)) return;
  if (str(body, "decision") === "deny") {
    redirect(ctx.res, withQuery(p.redirectUri, {
      error: "access_denied",
      error_description: "The user has denied your application access.",
      error_uri: OAUTH_DOCS,
      state: p.state,
    }));
    return;
  }
  const state = ctx.fake.state;
  const user = state.users.get(p.login.trim().toLowerCase());
  if (!user) {
    sendHtml(ctx.res, 200, authorizeForm(state, p, `There is no user "${p.login.trim()}" on this fake GitHub.`));
    return;
  }
  const code = randomBytes(10).toString("hex");
  state.codes.set(code, { code, login: user.login, clientId: p.clientId, redirectUri: p.redirectUri, expiresAt: Date.now() + CODE_TTL_MS, used: false });
  redirect(ctx.res, withQuery(p.redirectUri, { code, state: p.state }));
}

/** client_id/client_secret from the body or from HTTP Basic (openid-client's default). */
function clientCredentials(req: IncomingMessage, body: Body): { id?: string; secret?: string } {
  const header = req.headers.authorization;
  const m = header ? /^basic\s+(.+)$/i.exec(header.trim()) : null;
  if (m) {
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return s;
      }
    };
    if (colon >= 0) return { id: dec(decoded.slice(0, colon)), secret: dec(decoded.slice(colon + 1)) };
  }
  return { id: str(body, "client_id"), secret: str(body, "client_secret") };
}

function sendOAuth(req: IncomingMessage, res: ServerResponse, body: Record<string, string | number>): void {
  const accept = (req.headers.accept ?? "").toLowerCase();
  if (accept.includes("json")) {
    sendJson(res, 200, body);
    return;
  }
  const text = new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString();
  res.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const oauthError = (error: string, description: string) => ({ error, error_description: description, error_uri: OAUTH_DOCS });

async function accessToken(ctx: Ctx): Promise<void> {
  const { req, res } = ctx;
  const state = ctx.fake.state;
  const body = await readParams(req);
  const client = clientCredentials(req, body);
  if (client.id !== state.app.clientId || client.secret !== state.app.clientSecret) {
    sendOAuth(req, res, oauthError("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect."));
    return;
  }
  let login: string;
  if (str(body, "grant_type") === "refresh_token") {
    const refresh = state.refreshTokens.get(str(body, "refresh_token") ?? "");
    if (!refresh || refresh.used || refresh.expiresAt <= Date.now()) {
      sendOAuth(req, res, oauthError("bad_refresh_token", "The refresh token passed is incorrect or expired."));
      return;
    }
    refresh.used = true; // GitHub rotates refresh tokens.
    login = refresh.login;
  } else {
    const code = state.codes.get(str(body, "code") ?? "");
    if (!code || code.used || code.expiresAt <= Date.now() || code.clientId !== client.id) {
      sendOAuth(req, res, oauthError("bad_verification_code", "The code passed is incorrect or expired."));
      return;
    }
    const redirectUri = str(body, "redirect_uri");
    if (redirectUri && redirectUri !== code.redirectUri) {
      sendOAuth(req, res, oauthError("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application."));
      return;
    }
    code.used = true;
    login = code.login;
  }
  const { access, refresh } = state.issueUserToken(login);
  sendOAuth(req, res, {
    access_token: access.token,
    expires_in: USER_TOKEN_TTL_S,
    refresh_token: refresh.token,
    refresh_token_expires_in: REFRESH_TOKEN_TTL_S,
    scope: "",
    token_type: "bearer",
  });
}

export const oauthRoutes: Route[] = [
  { method: "GET", pattern: /^\/login\/oauth\/authorize\/?$/, handler: showAuthorize },
  { method: "POST", pattern: /^\/login\/oauth\/authorize(?:\/confirm)?\/?$/, handler: confirmAuthorize },
  { method: "POST", pattern: /^\/login\/oauth\/access_token\/?$/, handler: accessToken },
];
