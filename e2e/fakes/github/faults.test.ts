import { Octokit } from "@octokit/rest";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./server";
import { cloneUrl, oauthLogin, runGit, silentLog, tempDir } from "./test-helpers";

let gh: FakeGitHub;
let alice: Octokit;
let aliceToken: string;

const control = (method: string, route: string, body?: unknown) =>
  fetch(`${gh.url}/_fake${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  gh = await startFakeGitHub();
  aliceToken = (await oauthLogin(gh, "alice")).token.access_token;
  alice = new Octokit({ baseUrl: gh.apiUrl, log: silentLog, auth: aliceToken });
});
beforeEach(async () => {
  await control("DELETE", "/faults");
});
afterAll(async () => {
  await gh?.close();
});

describe("injected faults", () => {
  it("fails POST pulls once with 403, then works", async () => {
    await control("POST", "/repos/acme/widgets/branches", { name: "feature", from: "develop" });
    const res = await control("POST", "/faults", {
      method: "POST",
      path: "^/api/v3/repos/acme/widgets/pulls$",
      status: 403,
      body: { message: "Resource not accessible by integration" },
    });
    expect(res.status).toBe(201);

    const params = { owner: "acme", repo: "widgets", title: "Feature", head: "feature", base: "main" };
    await expect(alice.rest.pulls.create(params)).rejects.toMatchObject({
      status: 403,
      response: { data: { message: "Resource not accessible by integration" } },
    });
    const ok = await alice.rest.pulls.create(params);
    expect(ok.status).toBe(201);
    expect(await (await control("GET", "/faults")).json()).toEqual([]);
  });

  it("rate-limits the installation repositories twice with 429 and GitHub's headers", async () => {
    await control("POST", "/faults", { path: "/user/installations/\\d+/repositories", status: 429, times: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await alice.rest.apps.listInstallationReposForAuthenticatedUser({ installation_id: 501 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 429 });
      const headers = (err as { response: { headers: Record<string, string> } }).response.headers;
      expect(headers["x-ratelimit-remaining"]).toBe("0");
      expect(headers["retry-after"]).toBe("1");
    }
    const ok = await alice.rest.apps.listInstallationReposForAuthenticatedUser({ installation_id: 501 });
    expect(ok.data.total_count).toBe(34);
  });

  it("keeps a times:-1 fault until cleared, and never faults the control API", async () => {
    await control("POST", "/faults", { method: "GET", path: "^/api/v3/user$", status: 503, times: -1 });
    await control("POST", "/faults", { path: "^/_fake/", status: 500, times: -1 });
    for (let i = 0; i < 3; i++) await expect(alice.rest.users.getAuthenticated()).rejects.toMatchObject({ status: 503 });
    expect((await control("GET", "/state")).status).toBe(200);
    const cleared = await (await control("DELETE", "/faults")).json();
    expect(cleared).toEqual({ cleared: 2 });
    expect((await alice.rest.users.getAuthenticated()).data.login).toBe("alice");
  });

  it("rejects a git push (as branch protection would) through a fault on receive-pack", async () => {
    const work = await tempDir("fake-github-fault-");
    try {
      const git = (args: string[], cwd = work.dir) => runGit(args, cwd, work.dir);
      expect((await git(["clone", cloneUrl(gh, "acme/gadgets", aliceToken, "alice"), "gadgets"])).code).toBe(0);
      const dir = path.join(work.dir, "gadgets");
      await git(["checkout", "-b", "blocked"], dir);
      await git(["commit", "--allow-empty", "-m", "Blocked"], dir);
      await control("POST", "/faults", { method: "POST", path: "/git-receive-pack$", status: 403, body: "protected branch hook declined\n" });
      const push = await git(["push", "origin", "blocked"], dir);
      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(/403/);
      expect(Object.keys(await (await control("GET", "/repos/acme/gadgets/refs")).json())).toEqual(["main"]);
      expect((await git(["push", "origin", "blocked"], dir)).code).toBe(0);
    } finally {
      await work.cleanup();
    }
  });

  it("validates fault input and answers bad JSON with 400", async () => {
    expect((await control("POST", "/faults", { path: "(", status: 500 })).status).toBe(400);
    expect((await control("POST", "/faults", { path: "x", status: 42 })).status).toBe(400);
    const bad = await fetch(`${gh.url}/_fake/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(bad.status).toBe(400);
  });

  it("reset brings back the fixture: PRs and pushed branches gone, tokens still valid", async () => {
    await control("POST", "/repos/acme/widgets/branches", { name: "temp", from: "main" });
    await control("POST", "/faults", { path: "^/nothing$", status: 500 });
    expect((await control("POST", "/reset")).status).toBe(200);
    const state = await (await control("GET", "/state")).json();
    expect(state.pulls).toEqual([]);
    expect(state.faults).toEqual([]);
    expect(Object.keys(await (await control("GET", "/repos/acme/widgets/refs")).json()).sort()).toEqual(["develop", "main"]);
    expect((await alice.rest.users.getAuthenticated()).data.login).toBe("alice");
  });
});
