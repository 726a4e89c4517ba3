import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./server";
import { oauthLogin, silentLog } from "./test-helpers";

let gh: FakeGitHub;
let alice: Octokit;
let bob: Octokit;

beforeAll(async () => {
  gh = await startFakeGitHub();
  alice = new Octokit({ baseUrl: gh.apiUrl, log: silentLog, auth: (await oauthLogin(gh, "alice")).token.access_token });
  bob = new Octokit({ baseUrl: gh.apiUrl, log: silentLog, auth: (await oauthLogin(gh, "bob")).token.access_token });
});
afterAll(async () => {
  await gh?.close();
});

describe("what a signed-in user can reach", () => {
  it("lists alice's installations (acme org and her own account), never bobcorp", async () => {
    const installations = await alice.paginate(alice.rest.apps.listInstallationsForAuthenticatedUser, { per_page: 1 });
    expect(installations.map((i) => [i.id, i.account && "login" in i.account ? i.account.login : null, i.target_type])).toEqual([
      [501, "acme", "Organization"],
      [502, "alice", "User"],
    ]);
    expect(installations[0]).toMatchObject({ app_id: gh.app.appId, app_slug: gh.app.slug, repository_selection: "selected" });
  });

  it("pages installation repositories with GitHub's Link header", async () => {
    const first = await alice.rest.apps.listInstallationReposForAuthenticatedUser({ installation_id: 501, per_page: 30 });
    expect(first.data.total_count).toBe(34);
    expect(first.data.repositories).toHaveLength(30);
    expect(first.headers.link).toBe(
      `<${gh.apiUrl}/user/installations/501/repositories?per_page=30&page=2>; rel="next", ` +
        `<${gh.apiUrl}/user/installations/501/repositories?per_page=30&page=2>; rel="last"`,
    );
  });

  it("alice sees all 34 acme repos and alice/dotfiles through Octokit's paginate", async () => {
    const names: string[] = [];
    for (const inst of await alice.paginate(alice.rest.apps.listInstallationsForAuthenticatedUser)) {
      const repos = await alice.paginate(alice.rest.apps.listInstallationReposForAuthenticatedUser, { installation_id: inst.id, per_page: 30 });
      names.push(...repos.map((r) => r.full_name));
    }
    expect(names.filter((n) => n.startsWith("acme/"))).toHaveLength(34);
    expect(names).toContain("acme/widgets");
    expect(names).toContain("acme/service-32");
    expect(names).toContain("alice/dotfiles");
    expect(names.some((n) => n.startsWith("bobcorp/"))).toBe(false);
    expect(names).toHaveLength(35);
  });

  it("bob can't list acme's installation (404) nor read acme/widgets (404)", async () => {
    await expect(bob.rest.apps.listInstallationReposForAuthenticatedUser({ installation_id: 501 })).rejects.toMatchObject({ status: 404 });
    await expect(bob.rest.repos.get({ owner: "acme", repo: "widgets" })).rejects.toMatchObject({ status: 404 });
    const own = await bob.rest.repos.get({ owner: "bobcorp", repo: "secret-plans" });
    expect(own.data.private).toBe(true);
  });

  it("returns repo JSON with the fields the app reads", async () => {
    const { data } = await alice.rest.repos.get({ owner: "acme", repo: "widgets" });
    expect(data).toMatchObject({
      id: 3001,
      name: "widgets",
      full_name: "acme/widgets",
      private: false,
      default_branch: "main",
      owner: { login: "acme", id: 2001, type: "Organization" },
      html_url: `${gh.url}/acme/widgets`,
      clone_url: `${gh.url}/acme/widgets.git`,
      permissions: { admin: false, push: true, pull: true },
    });
    const dotfiles = await alice.rest.repos.get({ owner: "alice", repo: "dotfiles" });
    expect(dotfiles.data).toMatchObject({ private: true, permissions: { admin: true } });
  });

  it("lists branches and reads one, including names with a slash", async () => {
    const branches = await alice.paginate(alice.rest.repos.listBranches, { owner: "acme", repo: "widgets" });
    expect(branches.map((b) => b.name)).toEqual(["develop", "main"]);
    for (const b of branches) expect(b.commit.sha).toMatch(/^[0-9a-f]{40}$/);

    const main = await alice.rest.repos.getBranch({ owner: "acme", repo: "widgets", branch: "main" });
    expect(main.data.commit.sha).toBe(branches.find((b) => b.name === "main")?.commit.sha);
    await expect(alice.rest.repos.getBranch({ owner: "acme", repo: "widgets", branch: "nope" })).rejects.toMatchObject({ status: 404 });

    await fetch(`${gh.url}/_fake/repos/acme/widgets/branches`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "feature/x", from: "develop" }),
    });
    const feature = await alice.rest.repos.getBranch({ owner: "acme", repo: "widgets", branch: "feature/x" });
    expect(feature.data.commit.sha).toBe(branches.find((b) => b.name === "develop")?.commit.sha);
    expect((await fetch(`${gh.url}/_fake/repos/acme/widgets/branches/feature/x`, { method: "DELETE" })).status).toBe(204);
  });

  it("gives every fresh start (and every reset) the same fixture SHAs", async () => {
    const refs = await (await fetch(`${gh.url}/_fake/repos/acme/widgets/refs`)).json();
    expect(Object.keys(refs).sort()).toEqual(["develop", "main"]);
    const other = await startFakeGitHub();
    try {
      expect(await (await fetch(`${other.url}/_fake/repos/acme/widgets/refs`)).json()).toEqual(refs);
    } finally {
      await other.close();
    }
    await gh.reset();
    expect(await (await fetch(`${gh.url}/_fake/repos/acme/widgets/refs`)).json()).toEqual(refs);
  });

  it("refuses an installation-only endpoint for a user token", async () => {
    await expect(alice.request("GET /installation/repositories")).rejects.toMatchObject({ status: 403 });
    await expect(alice.request("GET /app")).rejects.toMatchObject({ status: 401 });
  });
});
