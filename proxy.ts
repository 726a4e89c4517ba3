import { NextResponse, type NextRequest } from "next/server";
import { getEnv } from "@/lib/env";
import { checkStateChange } from "@/lib/web/same-origin";
import { API_POLICY, baseSecurityHeaders, newNonce, pagePolicy } from "@/lib/web/security-headers";

/**
 * In front of every route: refuses cross-site state changes before any handler runs, and puts the security headers
 * (with a fresh script nonce for pages) on every response.
 */
export function proxy(req: NextRequest) {
  const env = getEnv();
  const { pathname } = req.nextUrl;
  const base = baseSecurityHeaders(env);

  // A request authenticated by a Bearer token alone (no session cookie) cannot be forged by another site; cookie
  // requests keep the same-origin rule. The handlers of such requests read the token, never a session.
  const refusal = checkStateChange(
    { method: req.method, pathname, headers: req.headers, protocol: req.nextUrl.protocol },
    env,
    { bearerTokens: true },
  );
  if (refusal) {
    return Response.json(
      { error: { code: refusal.code, message: refusal.message } },
      { status: refusal.status, headers: { ...base, "Content-Security-Policy": API_POLICY, "Cache-Control": "no-store" } },
    );
  }

  const isApi = pathname.startsWith("/api/") && !pathname.startsWith("/api/auth/");
  if (isApi) {
    // No document, so no nonce: the request goes on untouched (rewriting its headers costs every API call and
    // every SSE viewer's connect), the answer gets the policy that allows nothing.
    const res = NextResponse.next();
    for (const [name, value] of Object.entries(base)) res.headers.set(name, value);
    res.headers.set("Content-Security-Policy", API_POLICY);
    return res;
  }
  const nonce = newNonce();
  const policy = pagePolicy({ env, nonce });
  // Next.js reads the nonce from the request's CSP header and puts it on its scripts; the layout reads x-nonce.
  // Both are set here, overriding anything a client sent under those names.
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", policy);
  const res = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(base)) res.headers.set(name, value);
  res.headers.set("Content-Security-Policy", policy);
  return res;
}

export const config = {
  // Static build assets carry no state and no document; next.config.mjs gives them the static headers.
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
