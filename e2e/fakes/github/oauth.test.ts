import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./server";
import { oauthLogin } from "./test-helpers";

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(async () => {
  await gh?.close();
});

const api = (path: string, token?: string) =>
  fetch(`${gh.apiUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("OAuth web flow", () => {
  it("authorize page has a labelled Username field and an Authorize button", async () => {
    const res = await fetch(`${gh.url}/login/oauth/authorize?client_id=${gh.app.clientId}&redirect_uri=http://127.0.0.1:3000/cb&state=s1`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Authorize Patchbay");
    expect(html).toMatch(/<label for="login">Username<\/label>\s*<input id="login"/);
    expect(html).toMatch(/<button[^>]*>Authorize<\/button>/);
  });

  it("signs alice in: code → token → /user and /user/emails", async () => {
    const { token, location } = await oauthLogin(gh, "alice");
    expect(location.origin + location.pathname).toBe("http://127.0.0.1:3000/api/auth/callback/github");
    expect(token.access_token).toMatch(/^ghu_[A-Za-z0-9]{36}$/);
    expect(token.refresh_token).toMatch(/^ghr_/);
    expect(token.token_type).toBe("bearer");
    expect(token.expires_in).toBe(28800);

    const user = await (await api("/user", token.access_token)).json();
    expect(user).toMatchObject({ login: "alice", id: 1001, name: "Alice Example", email: "alice@example.com", type: "User" });
    expect(user.avatar_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/avatars\/u\/1001$/);
    expect((await fetch(user.avatar_url)).headers.get("content-type")).toBe("image/svg+xml");

    const emails = await (await api("/user/emails", token.access_token)).json();
    expect(emails).toEqual([{ email: "alice@example.com", primary: true, verified: true, visibility: "private" }]);
  });

  it("answers form-encoded when the client does not ask for JSON, and accepts Basic client auth", async () => {
    const login = await oauthLogin(gh, "bob");
    expect(login.token.access_token).toMatch(/^ghu_/);
    // The code is single-use: a second exchange fails like GitHub (200 + error field).
    const again = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${gh.app.clientId}:${gh.app.clientSecret}`).toString("base64")}`,
      },
      body: new URLSearchParams({ code: login.code }),
    });
    expect(again.status).toBe(200);
    expect(again.headers.get("content-type")).toContain("application/x-www-form-urlencoded");
    expect(new URLSearchParams(await again.text()).get("error")).toBe("bad_verification_code");
  });

  it("rejects a wrong client secret and an unknown code", async () => {
    const wrongSecret = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ client_id: gh.app.clientId, client_secret: "nope", code: "whatever" }),
    });
    expect(wrongSecret.status).toBe(200);
    expect((await wrongSecret.json()).error).toBe("incorrect_client_credentials");

    const wrongCode = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ client_id: gh.app.clientId, client_secret: gh.app.clientSecret, code: "nope" }),
    });
    expect(await wrongCode.json()).toMatchObject({ error: "bad_verification_code" });
  });

  it("refreshes a token (rotating the refresh token)", async () => {
    const { token } = await oauthLogin(gh, "alice");
    const refresh = (rt: string) =>
      fetch(`${gh.url}/login/oauth/access_token`, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: gh.app.clientId, client_secret: gh.app.clientSecret, grant_type: "refresh_token", refresh_token: rt }),
      }).then((r) => r.json());
    const next = await refresh(token.refresh_token);
    expect(next.access_token).toMatch(/^ghu_/);
    expect(next.access_token).not.toBe(token.access_token);
    expect((await api("/user", next.access_token)).status).toBe(200);
    expect((await refresh(token.refresh_token)).error).toBe("bad_refresh_token");
  });

  it("shows errors for an unknown client_id and an unknown user", async () => {
    const bad = await fetch(`${gh.url}/login/oauth/authorize?client_id=nope&redirect_uri=http://127.0.0.1:3000/cb`);
    expect(bad.status).toBe(400);

    const res = await fetch(`${gh.url}/login/oauth/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: gh.app.clientId, redirect_uri: "http://127.0.0.1:3000/cb", state: "s", login: "mallory" }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('role="alert">There is no user &quot;mallory&quot;');
  });

  it("Cancel redirects back with access_denied", async () => {
    const res = await fetch(`${gh.url}/login/oauth/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: gh.app.clientId, redirect_uri: "http://127.0.0.1:3000/cb", state: "s9", decision: "deny" }),
    });
    const location = new URL(res.headers.get("location") ?? "");
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("s9");
  });

  it("401 Bad credentials for unknown and expired tokens; 401 without auth", async () => {
    const { token } = await oauthLogin(gh, "bob");
    expect((await api("/user", token.access_token)).status).toBe(200);

    const unknown = await api("/user", "ghu_doesnotexist");
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ message: "Bad credentials" });
    expect((await api("/user")).status).toBe(401);

    const expire = await fetch(`${gh.url}/_fake/tokens/expire`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "bob" }),
    });
    expect((await expire.json()).expired).toBeGreaterThan(0);
    const expired = await api("/user", token.access_token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ message: "Bad credentials" });
  });

  it("answers malformed JSON with 400 and unknown routes with 404 JSON", async () => {
    const bad = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    const missing = await api("/nope/nothing");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: "Not Found" });
  });
});
