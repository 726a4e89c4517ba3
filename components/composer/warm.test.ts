import { afterEach, describe, expect, it, vi } from "vitest";
import { warmRepo } from "./warm";

afterEach(() => vi.unstubAllGlobals());

describe("warm start from the composer", () => {
  it("asks once per repository and branch in 30 s, as same-origin JSON, and ignores a failure", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      throw new TypeError("offline");
    });
    const t = 1_000_000;
    expect(warmRepo("acme/warm-test", "main", t)).toBe(true);
    expect(warmRepo("acme/warm-test", "main", t + 29_000)).toBe(false);
    expect(warmRepo("acme/warm-test", "develop", t + 29_000)).toBe(true);
    expect(warmRepo("acme/warm-test", "main", t + 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.map((c) => c.url)).toEqual(["/api/repos/acme/warm-test/warm", "/api/repos/acme/warm-test/warm", "/api/repos/acme/warm-test/warm"]);
    expect(calls[0].init.method).toBe("POST");
    expect(calls[0].init.headers).toMatchObject({ "Content-Type": "application/json" });
    expect(calls.map((c) => JSON.parse(String(c.init.body)))).toEqual([{ branch: "main" }, { branch: "develop" }, { branch: "main" }]);
  });
});
