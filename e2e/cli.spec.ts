import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { oauthLogin } from "./fakes/github/test-helpers";
import type { FakeGitHub } from "./fakes/github/server";
import { APP, FAKE_GITHUB, signIn } from "./support/session";

const BIN = path.resolve("cli/patchbay.mjs");
const fixture = JSON.parse(fs.readFileSync(path.resolve("e2e/fixtures/github.json"), "utf8")) as { app: { clientId: string; clientSecret: string } };

type Run = { code: number | null; stdout: string; stderr: string };

function run(cmd: string, args: string[], opts: { cwd: string; home: string; input?: string; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: opts.home,
        XDG_CONFIG_HOME: path.join(opts.home, ".config"),
        NO_COLOR: "1",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_TERMINAL_PROMPT: "0",
      } as unknown as NodeJS.ProcessEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 50_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that does not read its input may exit before the write lands: not an error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Creates a token on the settings page and returns it (it is shown once). */
async function createToken(page: Page, name: string, extraScopes: string[] = []) {
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens", level: 1 })).toBeVisible();
  await page.getByLabel("Token name").fill(name);
  for (const scope of extraScopes) await page.getByRole("checkbox", { name: scope }).check();
  await page.getByRole("button", { name: "Create token" }).click();
  const field = page.getByLabel("New token");
  await expect(field).toBeFocused();
  const token = await field.inputValue();
  expect(token).toMatch(/^pbt_[A-Za-z0-9_-]{43}$/);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  return token;
}

test("a token made in Settings drives the CLI: exec → logs --follow → diff → apply on a clone; revoking it locks the CLI out", async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, "alice");
  const token = await createToken(page, "e2e laptop", ["pr:write"]);
  const row = page.getByTestId("token-row").filter({ hasText: "e2e laptop" });
  await expect(row).toContainText("tasks:read, tasks:write, pr:write");
  await expect(row.getByTestId("token-last-used")).toHaveText("Never used");
  // Shown once: after a reload the page has no trace of it.
  await page.reload();
  expect(await page.content()).not.toContain(token);

  const home = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-e2e-cli-"));
  try {
    const cli = (args: string[], cwd = home, input?: string) => run(process.execPath, [BIN, ...args], { cwd, home, input });

    const login = await cli(["login", "--url", APP, "--with-token"], home, token);
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${APP} as alice with the token "e2e laptop"`);
    expect(fs.statSync(path.join(home, ".config/patchbay/config.json")).mode & 0o777).toBe(0o600);

    // A clone of the fake GitHub's repository, as alice would have it.
    const gh = { url: FAKE_GITHUB, app: { clientId: fixture.app.clientId, clientSecret: fixture.app.clientSecret } } as unknown as FakeGitHub;
    const ghu = (await oauthLogin(gh, "alice")).token.access_token;
    const basic = Buffer.from(`alice:${ghu}`).toString("base64");
    const cloned = await run("git", ["-c", `http.extraHeader=Authorization: Basic ${basic}`, "clone", "-q", `${FAKE_GITHUB}/acme/widgets.git`, "widgets"], { cwd: home, home });
    expect(cloned.code, cloned.stderr).toBe(0);
    const clone = path.join(home, "widgets");

    const exec = await cli(["exec", "Make greet trim the name (from the CLI)"], clone);
    expect(exec.stderr).toBe("");
    expect(exec.code).toBe(0);
    const short = /Task ([0-9a-f]{8}) queued: code on acme\/widgets@main, 1 attempt/.exec(exec.stdout)?.[1];
    expect(short, exec.stdout).toBeTruthy();

    const logs = await cli(["logs", short!, "--follow"]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("$ node test/run.js");
    expect(logs.stdout).toContain("all tests passed");
    expect(logs.stdout.trim().split("\n").at(-1)).toBe(`Task ${short} succeeded, 1 file, +1 −1`);

    const diff = await cli(["diff", short!]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain("+  return \"Hello, \" + name.trim() + \"!\";");

    const apply = await cli(["apply", short!], clone);
    expect(apply.code, apply.stderr).toBe(0);
    expect((await run("git", ["diff"], { cwd: clone, home })).stdout).toBe(diff.stdout);
    const conflict = await cli(["apply", short!], clone);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toContain("does not apply cleanly");

    // The task is on the board like any other, and the token's "last used" moved.
    await page.goto("/");
    const taskRow = page.locator(`[data-testid="task-row"][data-task-id^="${short}"]`);
    await expect(taskRow).toContainText("Make greet trim the name (from the CLI)");
    await expect(taskRow).toContainText("+1 −1");
    await page.getByRole("link", { name: "API tokens" }).click();
    await expect(row.getByTestId("token-last-used")).toHaveText("Last used just now");

    // Revoked in the UI (with a confirmation): the CLI is refused, and says why.
    await row.getByRole("button", { name: "Revoke e2e laptop" }).click();
    await page.getByRole("button", { name: "Revoke token" }).click();
    await expect(row).toHaveCount(0);
    const refused = await cli(["list"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('The API token "e2e laptop" was revoked');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test("token requests are not held to the same-origin rule; cookie requests still are; token answers set no cookie", async ({ page, playwright }) => {
  await signIn(page, "alice");
  const token = await createToken(page, "e2e origin");
  const body = { repo: "acme/widgets", branch: "main", mode: "ask", prompt: "How does sum work? (origin check)" };
  const crossSite = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

  // The browser's session cookie on a cross-site request: refused before any handler runs.
  const withCookie = await page.request.post("/api/tasks", { headers: crossSite, data: body });
  expect(withCookie.status()).toBe(403);
  expect((await withCookie.json()).error.code).toBe("cross_origin");
  // Even with a token beside the cookie.
  const both = await page.request.post("/api/tasks", { headers: { ...crossSite, authorization: `Bearer ${token}` }, data: body });
  expect(both.status()).toBe(403);

  // The token alone, from anywhere (a CLI sends no Origin; a browser cannot send the header cross-site).
  const api = await playwright.request.newContext({ baseURL: APP });
  try {
    const created = await api.post("/api/tasks", { headers: { ...crossSite, authorization: `Bearer ${token}` }, data: body });
    expect(created.status()).toBe(201);
    expect(created.headers()["set-cookie"]).toBeUndefined();
    expect(created.headers()["x-ratelimit-limit"]).toBeTruthy();
    const task = (await created.json()).task;
    const cancelled = await api.post(`/api/tasks/${task.id}/cancel`, { headers: { authorization: `Bearer ${token}` } });
    expect(cancelled.status()).toBe(200);
    // Token routes only: the app's own endpoints refuse a token.
    const env = await api.get("/api/environments/acme/widgets", { headers: { authorization: `Bearer ${token}` } });
    expect(env.status()).toBe(403);
    expect((await env.json()).error.code).toBe("token_not_accepted");
    // The document of the API is public.
    const doc = await api.get("/api/openapi.json");
    expect(doc.status()).toBe(200);
    expect(Object.keys((await doc.json()).paths)).toContain("/api/tasks/{id}/events");
  } finally {
    await api.dispose();
  }
});
