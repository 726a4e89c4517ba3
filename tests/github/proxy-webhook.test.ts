import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { proxy } from "@/proxy";

/** What proxy.ts decides about a POST before any handler runs. */
function decide(path: string, headers: Record<string, string>) {
  const res = proxy(new NextRequest(`http://localhost:3000${path}`, { method: "POST", headers: { host: "localhost:3000", ...headers }, body: "{}" }));
  return res.status === 403 || res.status === 415 ? res.status : "passed";
}

describe("proxy.ts and the GitHub webhook", () => {
  const github = { "content-type": "application/json", "user-agent": "GitHub-Hookshot/1", "x-github-event": "issue_comment" };

  it("lets GitHub's cookie-less, Origin-less delivery reach the handler (which checks its signature)", () => {
    expect(decide("/api/github/webhook", github)).toBe("passed");
    // A browser's forged cross-site POST reaches the handler too, and fails there: it cannot sign the body.
    expect(decide("/api/github/webhook", { ...github, "sec-fetch-site": "cross-site", origin: "https://evil.example", cookie: "next-auth.session-token=x" })).toBe("passed");
  });

  it("keeps the same-origin rule on every other path, near ones included", () => {
    expect(decide("/api/github/webhook/x", github)).toBe(403);
    expect(decide("/api/github", github)).toBe(403);
    expect(decide("/api/tasks", github)).toBe(403);
  });
});
