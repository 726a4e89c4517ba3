/**
 * Cross-site request forgery: a state-changing request is accepted only when the browser says it comes from
 * Patchbay's own pages, and an API body only as JSON (a form or a "simple" fetch from another site cannot send
 * application/json without a CORS preflight, which Patchbay never grants).
 */

export type OriginEnv = { NEXTAUTH_URL: string };

export type Refusal = { status: 403 | 415; code: "cross_origin" | "unsupported_media_type"; message: string };

/** What the check reads of a request (a Request, a NextRequest, or a test's plain object). */
export type RequestFacts = {
  method: string;
  /** The path, without the query. */
  pathname: string;
  headers: { get(name: string): string | null };
  /** The request's own protocol as the server saw it ("http:" or "https:"). */
  protocol: string;
};

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const SESSION_COOKIES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

/** next-auth's own endpoints protect their POSTs with its double-submit CSRF token. */
const isNextAuth = (pathname: string) => pathname.startsWith("/api/auth/");
/**
 * Webhooks authenticated by a signature over their body (the GitHub App's): a server, not a browser, sends them,
 * with no Origin; their handlers check the signature and never read a cookie, so a forged cross-site request
 * carries nothing they would accept.
 */
export const SIGNED_WEBHOOK_PATHS = new Set(["/api/github/webhook"]);
const isApi = (pathname: string) => pathname === "/api" || pathname.startsWith("/api/");

function hasSessionCookie(cookieHeader: string | null): boolean {
  if (!cookieHeader) return false;
  return cookieHeader.split(";").some((pair) => SESSION_COOKIES.includes(pair.split("=")[0].trim()));
}

/**
 * A request authenticated by `Authorization: Bearer` alone: a browser never attaches such a header to a request
 * another site makes, so it cannot be forged. proxy.ts exempts these (personal access tokens); their handlers
 * authenticate by the token only and never read a cookie (lib/auth/session.ts `requireApiCaller`).
 */
export function isBearerOnly(req: RequestFacts): boolean {
  return /^Bearer\s+\S/i.test(req.headers.get("authorization") ?? "") && !hasSessionCookie(req.headers.get("cookie"));
}

/** Patchbay's own origins: the configured public URL, and the origin this request was addressed to. */
export function ownOrigins(req: RequestFacts, env: OriginEnv): Set<string> {
  const origins = new Set([new URL(env.NEXTAUTH_URL).origin]);
  const host = req.headers.get("host");
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || req.protocol.replace(/:$/, "");
  if (host && /^https?$/.test(proto)) {
    try {
      origins.add(new URL(`${proto}://${host}`).origin);
    } catch {
      // a malformed Host header adds nothing
    }
  }
  return origins;
}

function checkOrigin(req: RequestFacts, env: OriginEnv): Refusal | null {
  const site = req.headers.get("sec-fetch-site");
  const origin = req.headers.get("origin");
  if (site !== null) {
    if (site === "same-origin") return null;
    return {
      status: 403,
      code: "cross_origin",
      message: "Patchbay only accepts changes made from its own pages; this request came from another site.",
    };
  }
  // Browsers without Fetch Metadata still send Origin on every POST, PUT, PATCH and DELETE.
  if (origin !== null && origin !== "null" && ownOrigins(req, env).has(origin)) return null;
  return {
    status: 403,
    code: "cross_origin",
    message:
      origin === null
        ? "Patchbay only accepts changes made from its own pages; this request does not say where it came from (no Origin header)."
        : "Patchbay only accepts changes made from its own pages; this request came from another site.",
  };
}

function checkContentType(req: RequestFacts): Refusal | null {
  const type = req.headers.get("content-type");
  const refusal: Refusal = {
    status: 415,
    code: "unsupported_media_type",
    message: "Send the request body as JSON, with the header Content-Type: application/json.",
  };
  if (type === null) {
    // No body at all (Stop, Delete) needs no type.
    const length = req.headers.get("content-length");
    const hasBody = req.headers.get("transfer-encoding") !== null || (length !== null && length.trim() !== "0");
    return hasBody ? refusal : null;
  }
  return type.split(";")[0].trim().toLowerCase() === "application/json" ? null : refusal;
}

/**
 * Null when the request may go on, else why it is refused. Covers POST, PUT, PATCH and DELETE everywhere but
 * next-auth's endpoints; the JSON rule covers the API.
 */
export function checkStateChange(req: RequestFacts, env: OriginEnv, opts: { bearerTokens?: boolean } = {}): Refusal | null {
  const method = req.method.toUpperCase();
  if (!STATE_CHANGING.has(method) || isNextAuth(req.pathname) || SIGNED_WEBHOOK_PATHS.has(req.pathname)) return null;
  if (opts.bearerTokens && isBearerOnly(req)) return null;
  return checkOrigin(req, env) ?? (isApi(req.pathname) ? checkContentType(req) : null);
}
