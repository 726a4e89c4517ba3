/**
 * The security headers of every response. Pages get a Content-Security-Policy whose scripts must carry this
 * request's nonce (Next.js puts it on its own scripts; the root layout on the theme script); API answers get a
 * policy that allows nothing at all, since none of them is a document.
 */

export type HeaderEnv = { NODE_ENV: string; NEXTAUTH_URL: string; GITHUB_URL: string };

/** A fresh, unguessable nonce (128 random bits, base64). */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

const isHttps = (env: HeaderEnv) => new URL(env.NEXTAUTH_URL).protocol === "https:";

/**
 * Where avatars come from: github.com serves them from avatars.githubusercontent.com; GitHub Enterprise Server
 * from its own host, or from avatars.<host> with subdomain isolation (the fake GitHub of the demo: its own host).
 */
export function avatarSources(env: Pick<HeaderEnv, "GITHUB_URL">): string[] {
  const url = new URL(env.GITHUB_URL);
  if (url.hostname === "github.com" || url.hostname === "www.github.com") return ["https://avatars.githubusercontent.com"];
  return [url.origin, `${url.protocol}//avatars.${url.host}`];
}

/** The policy of pages (HTML). `next dev` needs eval (React's debugging) and injects styles without a nonce. */
export function pagePolicy({ env, nonce }: { env: HeaderEnv; nonce: string }): string {
  const dev = env.NODE_ENV === "development";
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Style attributes (React's style props, the virtualized lists' positions) need 'unsafe-inline'; style
    // elements must be the app's own or carry the nonce. style-src is the fallback for browsers without -elem/-attr.
    "style-src 'self' 'unsafe-inline'",
    `style-src-elem 'self' ${dev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    "style-src-attr 'unsafe-inline'",
    `img-src 'self' data: blob: ${avatarSources(env).join(" ")}`,
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(isHttps(env) ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

/** The policy of API answers (JSON, diffs, event streams): nothing in them may run, load, frame or be framed. */
export const API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Every header but the CSP, the same on every response. HSTS only when the app is served over https. */
export function baseSecurityHeaders(env: HeaderEnv): Record<string, string> {
  return {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    ...(isHttps(env) ? { "Strict-Transport-Security": "max-age=31536000; includeSubDomains" } : {}),
  };
}
