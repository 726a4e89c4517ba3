import type { Env } from "@/lib/env";

/**
 * Cookies are Secure (and session cookies carry the __Secure- prefix) exactly when Patchbay is served over https;
 * the local http demo keeps plain cookies, which browsers would otherwise drop.
 */
export function usesSecureCookies(env: Pick<Env, "NEXTAUTH_URL">): boolean {
  return new URL(env.NEXTAUTH_URL).protocol === "https:";
}

/** The one session cookie name in use: over https a cookie without the prefix (set over http, or by a sibling host) is ignored. */
export function sessionCookieName(env: Pick<Env, "NEXTAUTH_URL">): string {
  return usesSecureCookies(env) ? "__Secure-next-auth.session-token" : "next-auth.session-token";
}
