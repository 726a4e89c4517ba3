import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { proxy } from "@/proxy";

/** What proxy.ts decides about a state-changing request, before any handler runs. */
function decide(headers: Record<string, string>, method = "POST", path = "/api/tasks") {
  const res = proxy(new NextRequest(`http://localhost:3000${path}`, { method, headers: { host: "localhost:3000", ...headers } }));
  return res.status === 403 || res.status === 415 ? res.status : "passed";
}

describe("proxy.ts: the same-origin rule and Bearer tokens", () => {
  const json = { "content-type": "application/json", "content-length": "2" };
  const crossSite = { "sec-fetch-site": "cross-site", origin: "https://evil.example" };

  it("lets a cookie-less Bearer request through from anywhere (a browser cannot forge the header)", () => {
    expect(decide({ ...json, ...crossSite, authorization: "Bearer pbt_x" })).toBe("passed");
    expect(decide({ ...json, authorization: "Bearer pbt_x" })).toBe("passed"); // a CLI sends no Origin at all
    expect(decide({ authorization: "Bearer pbt_x" }, "DELETE", "/api/tasks/00000000-0000-4000-8000-000000000000")).toBe("passed");
  });

  it("keeps the rule for a request with a session cookie, with or without a Bearer header", () => {
    const cookie = "next-auth.session-token=abc";
    expect(decide({ ...json, ...crossSite, cookie })).toBe(403);
    expect(decide({ ...json, ...crossSite, cookie, authorization: "Bearer pbt_x" })).toBe(403);
    expect(decide({ ...json, cookie })).toBe(403); // no Origin, no Fetch Metadata
    expect(decide({ ...json, cookie, "sec-fetch-site": "same-origin" })).toBe("passed");
  });

  it("keeps the rule for other Authorization schemes", () => {
    expect(decide({ ...json, ...crossSite, authorization: "Basic YTpi" })).toBe(403);
    expect(decide({ ...json, ...crossSite, authorization: "Bearer" })).toBe(403);
  });
});
