import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FakeGitHub } from "./server";

/** Walks the OAuth web flow like a browser + the app would, and returns the token response. */
export async function oauthLogin(gh: FakeGitHub, login: string, redirectUri = "http://127.0.0.1:3000/api/auth/callback/github") {
  const state = `st-${login}`;
  const authorize = new URL("/login/oauth/authorize", gh.url);
  authorize.search = new URLSearchParams({ client_id: gh.app.clientId, redirect_uri: redirectUri, state, scope: "read:user user:email" }).toString();
  const pageRes = await fetch(authorize);
  if (pageRes.status !== 200) throw new Error(`authorize page: ${pageRes.status}`);
  const posted = await fetch(new URL("/login/oauth/authorize", gh.url), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: gh.app.clientId, redirect_uri: redirectUri, state, scope: "", login, decision: "authorize" }),
  });
  if (posted.status !== 302) throw new Error(`authorize POST: ${posted.status} ${await posted.text()}`);
  const location = new URL(posted.headers.get("location") ?? "");
  if (location.searchParams.get("state") !== state) throw new Error("state not echoed");
  const code = location.searchParams.get("code") ?? "";
  const tokenRes = await fetch(new URL("/login/oauth/access_token", gh.url), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ client_id: gh.app.clientId, client_secret: gh.app.clientSecret, code, redirect_uri: redirectUri }),
  });
  const token = (await tokenRes.json()) as { access_token: string; refresh_token: string; token_type: string; expires_in: number };
  return { code, location, token };
}

export type GitResult = { code: number | null; stdout: string; stderr: string };

/** Runs the git client isolated from the developer's config, credential helpers and prompts. */
export function runGit(args: string[], cwd: string, home: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("GIT_")) delete env[k];
    Object.assign(env, {
      HOME: home,
      XDG_CONFIG_HOME: home,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      GIT_ASKPASS: "",
      GIT_AUTHOR_NAME: "Test",
      GIT_AUTHOR_EMAIL: "test@example.com",
      GIT_COMMITTER_NAME: "Test",
      GIT_COMMITTER_EMAIL: "test@example.com",
    });
    const child = spawn("git", ["-c", "credential.helper=", "-c", "protocol.version=2", ...args], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function cloneUrl(gh: FakeGitHub, fullName: string, token: string, user = "x-access-token"): string {
  const u = new URL(`/${fullName}.git`, gh.url);
  u.username = user;
  u.password = token;
  return u.toString();
}

/** Octokit logs every failed request; the tests expect many. */
export const silentLog = { debug() {}, info() {}, warn() {}, error() {} };
