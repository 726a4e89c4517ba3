import { generateKeyPairSync } from "node:crypto";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./server";
import { silentLog } from "./test-helpers";

let gh: FakeGitHub;

beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(async () => {
  await gh?.close();
});

const appWith = (privateKey: string) =>
  new App({ appId: gh.app.appId, privateKey, Octokit: Octokit.defaults({ baseUrl: gh.apiUrl, log: silentLog }) });

describe("GitHub App auth", () => {
  it("accepts the App's JWT on /app and for the repo's installation", async () => {
    const app = appWith(gh.app.privateKeyPem);
    const { data } = await app.octokit.request("GET /app");
    expect(data).toMatchObject({ id: gh.app.appId, slug: gh.app.slug });
    const inst = await app.octokit.request("GET /repos/{owner}/{repo}/installation", { owner: "acme", repo: "widgets" });
    expect(inst.data).toMatchObject({ id: 501, account: { login: "acme" } });
    await expect(app.octokit.request("GET /repos/{owner}/{repo}/installation", { owner: "acme", repo: "nope" })).rejects.toMatchObject({ status: 404 });
  });

  it("mints installation tokens that reach only that installation's repos", async () => {
    const app = appWith(gh.app.privateKeyPem);
    const octokit = await app.getInstallationOctokit(501);
    const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
    expect(token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);

    const repos = await octokit.paginate("GET /installation/repositories", { per_page: 30 });
    expect(repos).toHaveLength(34);
    const widgets = await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "widgets" });
    expect(widgets.data.full_name).toBe("acme/widgets");
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "bobcorp", repo: "secret-plans" })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.request("GET /user")).rejects.toMatchObject({ status: 403 });

    // Every installation of the app, as eachRepository walks them.
    const all: string[] = [];
    await app.eachRepository(({ repository }) => {
      all.push(repository.full_name);
    });
    expect(all).toHaveLength(36);
  });

  it("returns token metadata like GitHub", async () => {
    const app = appWith(gh.app.privateKeyPem);
    const res = await app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: 502,
      repositories: ["dotfiles"],
      permissions: { contents: "read" },
    });
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({ permissions: { contents: "read" }, repository_selection: "selected" });
    expect(Date.parse(res.data.expires_at) - Date.now()).toBeGreaterThan(59 * 60 * 1000);
    await expect(
      app.octokit.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 999 }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("rejects a JWT signed by another key with 401", async () => {
    const other = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
    });
    const app = appWith(other.privateKey);
    await expect(app.octokit.request("GET /app")).rejects.toMatchObject({ status: 401 });
    const installation = await app.getInstallationOctokit(501);
    await expect(installation.request("GET /installation/repositories")).rejects.toMatchObject({ status: 401 });
    expect(gh.state.issued.installation).toBeGreaterThan(0); // from the earlier tests, never from the wrong key
    const before = gh.state.issued.installation;
    await expect(installation.request("GET /installation/repositories")).rejects.toMatchObject({ status: 401 });
    expect(gh.state.issued.installation).toBe(before);
  });

  it("rejects an expired installation token with 401 Bad credentials", async () => {
    const app = appWith(gh.app.privateKeyPem);
    const octokit = await app.getInstallationOctokit(503);
    const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
    gh.state.expireTokens({ installationId: 503 });
    const res = await fetch(`${gh.apiUrl}/installation/repositories`, { headers: { authorization: `token ${token}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: "Bad credentials" });
  });
});
