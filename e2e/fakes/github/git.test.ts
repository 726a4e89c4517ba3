import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./server";
import { cloneUrl, oauthLogin, runGit, silentLog, tempDir } from "./test-helpers";

let gh: FakeGitHub;
let work: Awaited<ReturnType<typeof tempDir>>;
let token: string;
let installation: Octokit;

beforeAll(async () => {
  gh = await startFakeGitHub();
  work = await tempDir("fake-github-git-test-");
  const app = new App({ appId: gh.app.appId, privateKey: gh.app.privateKeyPem, Octokit: Octokit.defaults({ baseUrl: gh.apiUrl, log: silentLog }) });
  installation = (await app.getInstallationOctokit(501)) as unknown as Octokit;
  token = ((await installation.auth({ type: "installation" })) as { token: string }).token;
});
afterAll(async () => {
  await gh?.close();
  await work?.cleanup();
});

const git = (args: string[], cwd = work.dir) => runGit(args, cwd, work.dir);
const refs = async (fullName: string): Promise<Record<string, string>> => (await fetch(`${gh.url}/_fake/repos/${fullName}/refs`)).json();

describe("git over smart HTTP", () => {
  it("clones acme/widgets with an installation token and gets the fixture files", async () => {
    const res = await git(["clone", cloneUrl(gh, "acme/widgets", token), "widgets"]);
    expect(res.stderr).not.toContain("fatal");
    expect(res.code).toBe(0);
    const dir = path.join(work.dir, "widgets");
    const fixtureReadme = await readFile(new URL("../../fixtures/repos/widgets/README.md", import.meta.url), "utf8");
    expect(await readFile(path.join(dir, "README.md"), "utf8")).toBe(fixtureReadme);
    const fixtureGreet = await readFile(new URL("../../fixtures/repos/widgets/src/greet.js", import.meta.url), "utf8");
    expect(await readFile(path.join(dir, "src/greet.js"), "utf8")).toBe(fixtureGreet);
    const log = await git(["log", "--format=%an <%ae> %aI %s", "origin/develop"], dir);
    expect(log.stdout.trim().split("\n")).toEqual([
      "Fixture <fixture@example.com> 2024-01-01T01:00:00+00:00 Add changelog",
      "Fixture <fixture@example.com> 2024-01-01T00:00:00+00:00 Initial commit",
    ]);
    const diff = await git(["diff", "--name-only", "origin/main", "origin/develop"], dir);
    expect(diff.stdout.trim()).toBe("CHANGELOG.md");
    expect((await git(["rev-parse", "HEAD"], dir)).stdout.trim()).toBe((await refs("acme/widgets")).main);
  });

  it("pushes a new branch, which the control API then shows", async () => {
    const dir = path.join(work.dir, "widgets");
    await git(["checkout", "-b", "patchbay/add-docs-1a2b"], dir);
    await writeFile(path.join(dir, "DOCS.md"), "# Docs\n");
    await git(["add", "DOCS.md"], dir);
    await git(["commit", "-m", "Add docs"], dir);
    const push = await git(["push", "origin", "patchbay/add-docs-1a2b"], dir);
    expect(push.code, push.stderr).toBe(0);
    const sha = (await git(["rev-parse", "HEAD"], dir)).stdout.trim();
    expect((await refs("acme/widgets"))["patchbay/add-docs-1a2b"]).toBe(sha);
  });

  it("opens a PR for the pushed branch, reads it back, and refuses a duplicate with 422", async () => {
    const created = await installation.rest.pulls.create({
      owner: "acme",
      repo: "widgets",
      title: "Add docs",
      body: "## Summary\nAdds docs.",
      head: "patchbay/add-docs-1a2b",
      base: "main",
      draft: true,
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      number: 1,
      state: "open",
      draft: true,
      merged: false,
      html_url: `${gh.url}/acme/widgets/pull/1`,
      head: { ref: "patchbay/add-docs-1a2b", sha: (await refs("acme/widgets"))["patchbay/add-docs-1a2b"] },
      base: { ref: "main", sha: (await refs("acme/widgets")).main },
      user: { login: `${gh.app.slug}[bot]`, type: "Bot" },
    });

    const read = await installation.rest.pulls.get({ owner: "acme", repo: "widgets", pull_number: 1 });
    expect(read.data.title).toBe("Add docs");
    const listed = await installation.rest.pulls.list({ owner: "acme", repo: "widgets", head: "acme:patchbay/add-docs-1a2b", state: "open" });
    expect(listed.data.map((p) => p.number)).toEqual([1]);
    expect((await installation.rest.pulls.list({ owner: "acme", repo: "widgets", head: "acme:other" })).data).toEqual([]);

    const dup = installation.rest.pulls.create({ owner: "acme", repo: "widgets", title: "Again", head: "patchbay/add-docs-1a2b", base: "main" });
    await expect(dup).rejects.toMatchObject({
      status: 422,
      response: { data: { message: "Validation Failed", errors: [{ message: "A pull request already exists for acme:patchbay/add-docs-1a2b." }] } },
    });
    const noBranch = installation.rest.pulls.create({ owner: "acme", repo: "widgets", title: "X", head: "does-not-exist", base: "main" });
    await expect(noBranch).rejects.toMatchObject({ status: 422 });

    const html = await (await fetch(created.data.html_url)).text();
    expect(html).toContain("Add docs");
  });

  it("reads the PR's head SHA live after another push, and updates it with PATCH", async () => {
    const dir = path.join(work.dir, "widgets");
    await writeFile(path.join(dir, "DOCS.md"), "# Docs\n\nMore.\n");
    await git(["commit", "-am", "More docs"], dir);
    expect((await git(["push", "origin", "HEAD"], dir)).code).toBe(0);
    const sha = (await git(["rev-parse", "HEAD"], dir)).stdout.trim();
    const read = await installation.rest.pulls.get({ owner: "acme", repo: "widgets", pull_number: 1 });
    expect(read.data.head.sha).toBe(sha);

    const updated = await installation.rest.pulls.update({ owner: "acme", repo: "widgets", pull_number: 1, title: "Add more docs", state: "closed" });
    expect(updated.data).toMatchObject({ title: "Add more docs", state: "closed" });
    expect((await installation.rest.pulls.list({ owner: "acme", repo: "widgets", state: "closed" })).data).toHaveLength(1);
    const state = await (await fetch(`${gh.url}/_fake/state`)).json();
    expect(state.pulls).toEqual([expect.objectContaining({ repo: "acme/widgets", number: 1, state: "closed", title: "Add more docs" })]);
  });

  it("lets a signed-in user clone and push with their own token, and open a PR as themselves", async () => {
    const { token: userToken } = await oauthLogin(gh, "alice");
    const res = await git(["clone", cloneUrl(gh, "alice/dotfiles", userToken.access_token, "alice"), "dotfiles"]);
    expect(res.code, res.stderr).toBe(0);
    const dir = path.join(work.dir, "dotfiles");
    await git(["checkout", "-b", "tweak"], dir);
    await writeFile(path.join(dir, ".bashrc"), "alias ll='ls -l'\n");
    await git(["add", "."], dir);
    await git(["commit", "-m", "Add bashrc"], dir);
    expect((await git(["push", "origin", "tweak"], dir)).code).toBe(0);
    const octokit = new Octokit({ baseUrl: gh.apiUrl, log: silentLog, auth: userToken.access_token });
    const pr = await octokit.rest.pulls.create({ owner: "alice", repo: "dotfiles", title: "Tweak", head: "alice:tweak", base: "main" });
    expect(pr.data.user?.login).toBe("alice");
  });

  it("fails to clone with a wrong token (401), and hides repos outside the token's reach (404)", async () => {
    const wrong = await git(["clone", cloneUrl(gh, "acme/widgets", "ghs_wrongwrongwrong"), "nope"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed|401/);

    const anonymous = await git(["clone", `${gh.url}/acme/widgets.git`, "nope2"]);
    expect(anonymous.code).not.toBe(0);

    const outside = await git(["clone", cloneUrl(gh, "bobcorp/secret-plans", token), "nope3"]);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/not found|404/i);

    const res = await fetch(`${gh.url}/acme/widgets.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="GitHub"');
  });

  it("refuses a push with a read-only installation token (403)", async () => {
    const app = new App({ appId: gh.app.appId, privateKey: gh.app.privateKeyPem, Octokit: Octokit.defaults({ baseUrl: gh.apiUrl, log: silentLog }) });
    const res = await app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: 501,
      permissions: { contents: "read" },
    });
    const dir = path.join(work.dir, "widgets");
    await git(["remote", "set-url", "origin", cloneUrl(gh, "acme/widgets", res.data.token)], dir);
    await git(["checkout", "-b", "read-only-attempt"], dir);
    const push = await git(["push", "origin", "read-only-attempt"], dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/403/);
    expect(Object.keys(await refs("acme/widgets"))).not.toContain("read-only-attempt");
    await git(["remote", "set-url", "origin", cloneUrl(gh, "acme/widgets", token)], dir);
  });
});
