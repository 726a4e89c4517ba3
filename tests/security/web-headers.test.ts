import { unstable_doesMiddlewareMatch } from "next/experimental/testing/server";
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { config, proxy } from "@/proxy";
import { API_POLICY, avatarSources, baseSecurityHeaders, newNonce, pagePolicy } from "@/lib/web/security-headers";
import { sessionCookieName, usesSecureCookies } from "@/lib/auth/cookies";

const prod = { NODE_ENV: "production", NEXTAUTH_URL: "https://patchbay.example.com", GITHUB_URL: "https://github.com" };

const directive = (policy: string, name: string) =>
  policy
    .split(";")
    .map((d) => d.trim())
    .find((d) => d === name || d.startsWith(`${name} `));

describe("Content-Security-Policy", () => {
  it("pages run only scripts carrying this request's nonce: no inline script, no eval in production", () => {
    const policy = pagePolicy({ env: prod, nonce: "abc123==" });
    expect(directive(policy, "script-src")).toBe("script-src 'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(directive(policy, "style-src-elem")).toBe("style-src-elem 'self' 'nonce-abc123=='");
    for (const d of ["frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'", "form-action 'self'", "connect-src 'self'", "default-src 'self'"]) {
      expect(policy.split("; ")).toContain(d);
    }
    expect(directive(policy, "img-src")).toBe("img-src 'self' data: blob: https://avatars.githubusercontent.com");
    expect(policy).toContain("upgrade-insecure-requests");
  });

  it("next dev gets eval (React's debugging) and inline style elements; plain http gets no upgrade", () => {
    const dev = pagePolicy({ env: { ...prod, NODE_ENV: "development", NEXTAUTH_URL: "http://localhost:3000" }, nonce: "n" });
    expect(directive(dev, "script-src")).toBe("script-src 'self' 'nonce-n' 'strict-dynamic' 'unsafe-eval'");
    expect(directive(dev, "style-src-elem")).toBe("style-src-elem 'self' 'unsafe-inline'");
    expect(dev).not.toContain("upgrade-insecure-requests");
  });

  it("avatars load from the configured GitHub: github.com's avatar host, or a GitHub Enterprise Server's", () => {
    expect(avatarSources({ GITHUB_URL: "https://github.com" })).toEqual(["https://avatars.githubusercontent.com"]);
    expect(avatarSources({ GITHUB_URL: "https://ghe.example.com/" })).toEqual(["https://ghe.example.com", "https://avatars.ghe.example.com"]);
    expect(avatarSources({ GITHUB_URL: "http://127.0.0.1:3101" })).toEqual(["http://127.0.0.1:3101", "http://avatars.127.0.0.1:3101"]);
  });

  it("a nonce is 128 random bits and never repeats", () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const n of [...nonces].slice(0, 10)) expect(n).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});

describe("the other headers", () => {
  it("nosniff, no framing, a strict referrer policy, COOP, no powerful features; HSTS only over https", () => {
    const https = baseSecurityHeaders(prod);
    expect(https).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "same-origin",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    });
    expect(https["Permissions-Policy"]).toMatch(/camera=\(\), microphone=\(\), geolocation=\(\)/);
    expect(baseSecurityHeaders({ ...prod, NEXTAUTH_URL: "http://localhost:3000" })).not.toHaveProperty("Strict-Transport-Security");
  });
});

describe("proxy.ts", () => {
  it("runs in front of pages and every API route, not in front of the build's static files", () => {
    for (const url of ["/", "/signin", "/tasks/0d6f1c3e-0000-4000-8000-000000000000", "/api/tasks", "/api/tasks/x/cancel", "/api/environments/a/b", "/api/auth/signin"]) {
      expect(unstable_doesMiddlewareMatch({ config, url }), url).toBe(true);
    }
    expect(unstable_doesMiddlewareMatch({ config, url: "/_next/static/chunks/app.js" })).toBe(false);
  });

  it("refuses a cross-site API POST before any route runs, with the headers on the refusal", async () => {
    const res = proxy(
      new NextRequest("http://localhost:3000/api/tasks", {
        method: "POST",
        headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site", "content-type": "application/json" },
        body: "{}",
      }),
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: "cross_origin", message: expect.stringMatching(/another site/) } });
    expect(res.headers.get("content-security-policy")).toBe(API_POLICY);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("hands pages a fresh nonce in the request (for Next.js and the layout) and the same one in the answer", () => {
    const res = proxy(new NextRequest("http://localhost:3000/", { headers: { "x-nonce": "forged", "content-security-policy": "script-src *" } }));
    const policy = res.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    // NextResponse.next passes overridden request headers as x-middleware-request-<name>.
    expect(res.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
    expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(policy);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("cookies", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it("are Secure, with the __Secure- session cookie, exactly when NEXTAUTH_URL is https", () => {
    expect(usesSecureCookies({ NEXTAUTH_URL: "https://p.example.com" })).toBe(true);
    expect(usesSecureCookies({ NEXTAUTH_URL: "http://localhost:3000" })).toBe(false);
    expect(sessionCookieName({ NEXTAUTH_URL: "https://p.example.com" })).toBe("__Secure-next-auth.session-token");
    expect(sessionCookieName({ NEXTAUTH_URL: "http://localhost:3000" })).toBe("next-auth.session-token");
  });

  it("next-auth is configured with them", async () => {
    for (const [url, secure] of [["https://p.example.com", true], ["http://localhost:3000", false]] as const) {
      vi.resetModules();
      vi.stubEnv("NEXTAUTH_URL", url);
      const { getAuthOptions } = await import("@/lib/auth/options");
      expect(getAuthOptions().useSecureCookies, url).toBe(secure);
    }
  });
});
