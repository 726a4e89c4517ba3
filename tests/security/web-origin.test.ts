import { describe, expect, it } from "vitest";
import { checkStateChange, type RequestFacts } from "@/lib/web/same-origin";

const env = { NEXTAUTH_URL: "https://patchbay.example.com" };

function request(opts: { method?: string; path?: string; headers?: Record<string, string>; protocol?: string } = {}): RequestFacts {
  const headers = new Headers({ host: "patchbay.example.com", ...opts.headers });
  return { method: opts.method ?? "POST", pathname: opts.path ?? "/api/tasks", headers, protocol: opts.protocol ?? "https:" };
}

const json = { "content-type": "application/json" };

describe("cross-origin requests", () => {
  it("refuses a cross-site POST with 403 cross_origin and a clear message", () => {
    const refusal = checkStateChange(request({ headers: { ...json, "sec-fetch-site": "cross-site", origin: "https://evil.example" } }), env);
    expect(refusal).toEqual({
      status: 403,
      code: "cross_origin",
      message: "Patchbay only accepts changes made from its own pages; this request came from another site.",
    });
  });

  it("refuses a same-site request from another origin (a sibling host) and a user-typed one", () => {
    for (const site of ["same-site", "none"]) {
      const refusal = checkStateChange(request({ headers: { ...json, "sec-fetch-site": site, origin: "https://other.example.com" } }), env);
      expect(refusal?.status, site).toBe(403);
    }
  });

  it("refuses every state-changing method, on every path but next-auth's", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "delete"]) {
      for (const path of ["/api/tasks", "/api/tasks/1/cancel", "/api/environments/a/b", "/api/unknown", "/", "/tasks/1"]) {
        const refusal = checkStateChange(request({ method, path, headers: { ...json, "sec-fetch-site": "cross-site" } }), env);
        expect(refusal?.code, `${method} ${path}`).toBe("cross_origin");
      }
    }
    expect(checkStateChange(request({ path: "/api/auth/signout", headers: { "sec-fetch-site": "cross-site" } }), env)).toBeNull();
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      expect(checkStateChange(request({ method, headers: { "sec-fetch-site": "cross-site" } }), env), method).toBeNull();
    }
  });

  it("accepts same-origin requests, by Fetch Metadata or, without it, by an Origin that is Patchbay's", () => {
    expect(checkStateChange(request({ headers: { ...json, "sec-fetch-site": "same-origin" } }), env)).toBeNull();
    expect(checkStateChange(request({ headers: { ...json, origin: "https://patchbay.example.com" } }), env)).toBeNull();
    // The origin the request was addressed to counts too (the demo reached as 127.0.0.1 instead of localhost).
    const local = { NEXTAUTH_URL: "http://localhost:3000" };
    const byHost = request({ protocol: "http:", headers: { ...json, host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" } });
    expect(checkStateChange(byHost, local)).toBeNull();
    // Behind a TLS-terminating proxy the scheme comes from X-Forwarded-Proto.
    const proxied = request({ protocol: "http:", headers: { ...json, host: "p.example", "x-forwarded-proto": "https", origin: "https://p.example" } });
    expect(checkStateChange(proxied, local)).toBeNull();
  });

  it("refuses a foreign, opaque or missing Origin when Fetch Metadata is absent", () => {
    for (const origin of ["https://evil.example", "null", "http://patchbay.example.com", "https://patchbay.example.com.evil.example"]) {
      expect(checkStateChange(request({ headers: { ...json, origin } }), env)?.status, origin).toBe(403);
    }
    const none = checkStateChange(request({ headers: json }), env);
    expect(none?.code).toBe("cross_origin");
    expect(none?.message).toMatch(/no Origin header/);
  });

  it("checks a Bearer-only request too, until Bearer tokens exist; the exemption never covers a session cookie", () => {
    const bearer = { ...json, authorization: "Bearer pbt_123", "sec-fetch-site": "cross-site" };
    expect(checkStateChange(request({ headers: bearer }), env)?.status).toBe(403);
    expect(checkStateChange(request({ headers: bearer }), env, { bearerTokens: true })).toBeNull();
    const withCookie = { ...bearer, cookie: "a=1; __Secure-next-auth.session-token=abc" };
    expect(checkStateChange(request({ headers: withCookie }), env, { bearerTokens: true })?.status).toBe(403);
  });
});

describe("request bodies must be JSON", () => {
  const same = { "sec-fetch-site": "same-origin" };

  it("refuses forms and text with 415 unsupported_media_type, even from Patchbay's own origin", () => {
    for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "text/plain;charset=UTF-8", "application/jsonx"]) {
      const refusal = checkStateChange(request({ headers: { ...same, "content-type": type, "content-length": "10" } }), env);
      expect(refusal, type).toEqual({
        status: 415,
        code: "unsupported_media_type",
        message: "Send the request body as JSON, with the header Content-Type: application/json.",
      });
    }
  });

  it("accepts JSON with parameters, and no type for a request without a body (Stop, Delete)", () => {
    expect(checkStateChange(request({ headers: { ...same, "content-type": "Application/JSON; charset=utf-8" } }), env)).toBeNull();
    expect(checkStateChange(request({ method: "DELETE", headers: same }), env)).toBeNull();
    expect(checkStateChange(request({ path: "/api/tasks/1/cancel", headers: { ...same, "content-length": "0" } }), env)).toBeNull();
    expect(checkStateChange(request({ headers: { ...same, "content-length": "12" } }), env)?.status).toBe(415);
    expect(checkStateChange(request({ headers: { ...same, "transfer-encoding": "chunked" } }), env)?.status).toBe(415);
  });

  it("a cross-site form is refused as cross-origin first", () => {
    const form = { "sec-fetch-site": "cross-site", "content-type": "application/x-www-form-urlencoded" };
    expect(checkStateChange(request({ headers: form }), env)?.code).toBe("cross_origin");
  });
});
