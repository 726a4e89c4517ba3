import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokens } from "@/db/schema";
import { oauthLogin } from "@/e2e/fakes/github/test-helpers";
import { hashToken } from "@/lib/auth/api-tokens";
import { API_SCOPES } from "@/lib/auth/scopes";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { linkGitHub, makeUser, token } from "../api/helpers";
import { openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, type TestStack } from "../helpers/stack";
import { startApiServer } from "./api-server";

const BIN = path.resolve(import.meta.dirname, "../../cli/patchbay.mjs");

type Run = { code: number | null; stdout: string; stderr: string };

let stack: TestStack;
let server: Awaited<ReturnType<typeof startApiServer>>;
let handle: Awaited<ReturnType<typeof openTestDb>>;
let runner: Runner;
let home: string;
let clone: string;
let userToken: string;
let patToken: string;
let aliceId: string;

/** The real bin, as a person runs it: its own process, a private config directory, no colours. */
function cli(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? home,
      env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, "config"), NO_COLOR: "1", ...opts.env } as unknown as NodeJS.ProcessEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    // A hung command fails its test with what it printed, rather than the test's timeout.
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 45_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: code === null ? `${stderr}\n[killed after a timeout]` : stderr });
    });
    // A command that does not read its input may exit before the write lands: not an error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

function git(args: string[], cwd: string) {
  return new Promise<Run>((resolve) => {
    const child = spawn("git", args, { cwd, env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  stack = await startTestStack({ tmpPrefix: "patchbay-cli-" });
  handle = await openTestDb("pglite");
  setProcessDb(handle);
  runner = await startRunner(
    handle,
    runnerConfigFromEnv(getEnv(), {
      dataDir: stack.dataDir,
      concurrency: 4,
      perUserLimit: 4,
      pollMs: 200,
      heartbeatMs: 200,
      model: { baseURL: stack.model.url, apiKey: "sk-test", model: "fake-codex", apiMode: "responses", timeoutMs: 30_000, maxRetries: 0 },
    }),
  );
  const alice = await makeUser(handle, "alice", 1001);
  aliceId = alice.id;
  userToken = (await oauthLogin(stack.github, "alice")).token.access_token;
  await linkGitHub(handle, alice.id, 1001, userToken);
  patToken = await token(alice.id, [...API_SCOPES], "cli test");
  server = await startApiServer();

  home = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-cli-home-"));
  // A clone of the fake GitHub's repository, its remote as GitHub would show it (no credentials in the URL).
  const basic = Buffer.from(`alice:${userToken}`).toString("base64");
  const cloned = await git(["-c", `http.extraHeader=Authorization: Basic ${basic}`, "clone", "-q", `${stack.github.url}/acme/widgets.git`, "widgets"], home);
  expect(cloned.code, cloned.stderr).toBe(0);
  clone = path.join(home, "widgets");
  await git(["config", "user.email", "alice@example.com"], clone);
  await git(["config", "user.name", "Alice"], clone);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await runner?.stop();
  await handle?.cleanup();
  await stack?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe("the patchbay CLI against the real task API", () => {
  it("login checks the token, says whose it is, and saves URL + token readable by the user only", async () => {
    const bad = await cli(["login", "--url", server.url, "--with-token"], { input: "pbt_" + "x".repeat(43) + "\n" });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/not known/);
    expect(fs.existsSync(path.join(home, "config/patchbay/config.json"))).toBe(false);

    const res = await cli(["login", "--url", server.url + "/", "--with-token"], { input: patToken + "\n" });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Logged in to ${server.url} as alice with the token "cli test" (tasks:read, tasks:write, pr:write;`);
    const file = path.join(home, "config/patchbay/config.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ url: server.url, token: patToken });
    // The token never travels on a command line.
    expect(server.seen.at(-1)?.authorization).toBe(`Bearer ${patToken}`);

    const who = await cli(["whoami", "--json"]);
    expect(JSON.parse(who.stdout)).toMatchObject({ user: { login: "alice" }, token: { name: "cli test" } });
  });

  let codeTask = "";

  it("exec --follow in a clone: repository and branch from the remote, the live log, and exit 0 when it succeeds", async () => {
    const res = await cli(["exec", "Make greet trim the name", "--follow"], { cwd: clone });
    expect(res.stderr, res.stdout).toBe("");
    expect(res.code).toBe(0);
    const id = /Task ([0-9a-f]{8}) queued: code on acme\/widgets@main, 1 attempt/.exec(res.stdout)?.[1];
    expect(id, res.stdout).toBeTruthy();
    expect(res.stdout).toContain("$ node test/run.js");
    expect(res.stdout).toContain("all tests passed");
    expect(res.stdout).toMatch(/Diff: 1 file, \+1 −1/);
    expect(res.stdout.trim().split("\n").at(-1)).toBe(`Task ${id} succeeded, 1 file, +1 −1`);
    const list = JSON.parse((await cli(["list", "--json"])).stdout) as { tasks: { id: string; status: string }[] };
    codeTask = list.tasks.find((t) => t.id.startsWith(id!))!.id;
    expect(list.tasks.find((t) => t.id === codeTask)?.status).toBe("succeeded");

    const human = await cli(["list"]);
    expect(human.stdout).toMatch(new RegExp(`^${id}  succeeded  code  acme/widgets@main .*Make greet trim the name$`, "m"));
    const status = await cli(["status", id!]);
    expect(status.stdout).toContain(`id       ${codeTask}`);
    expect(status.stdout).toMatch(/attempt 1 {2}succeeded · 1 file, \+1 −1/);
  });

  it("diff prints the attempt's patch; apply puts it in the checkout, and refuses a second time with nothing changed", async () => {
    const diff = await cli(["diff", codeTask.slice(0, 6)]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/^diff --git a\/src\/greet\.js b\/src\/greet\.js/);
    expect(diff.stdout).toContain("name.trim()");
    const asJson = JSON.parse((await cli(["diff", codeTask, "--json", "--attempt", "1"])).stdout);
    expect(asJson).toMatchObject({ taskId: codeTask, attempt: 1, diff: diff.stdout });

    const applied = await cli(["apply", codeTask], { cwd: path.join(clone, "src") });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(`Applied attempt 1 of task ${codeTask.slice(0, 8)} (1 file, +1 −1) to ${clone}`);
    expect((await git(["diff"], clone)).stdout).toBe(diff.stdout);

    const before = fs.readFileSync(path.join(clone, "src/greet.js"), "utf8");
    const again = await cli(["apply", codeTask], { cwd: clone });
    expect(again.code).toBe(5);
    expect(again.stderr).toContain("does not apply cleanly");
    expect(again.stderr).toContain("nothing was changed");
    expect(again.stderr).toMatch(/src\/greet\.js/);
    expect(fs.readFileSync(path.join(clone, "src/greet.js"), "utf8")).toBe(before);
    await git(["checkout", "--", "."], clone);

    // Outside a checkout, apply says so.
    const nowhere = await cli(["apply", codeTask], { cwd: os.tmpdir() });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain("not inside a git checkout");
  });

  it("logs --follow survives a dropped connection: it resumes with Last-Event-ID, every line once and in order", async () => {
    const started = await cli(["exec", "[scenario:slow] count to forty slowly", "--json"], { cwd: clone });
    expect(started.code).toBe(0);
    const id = (JSON.parse(started.stdout) as { task: { id: string } }).task.id;
    server.control.dropEventStreamAfter = 6;
    const before = server.seen.length;
    const res = await cli(["logs", id, "--follow"]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/reconnecting in .* resuming after event \d+/);
    const steps = res.stdout.split("\n").filter((l) => /^step \d+$/.test(l));
    expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => `step ${i + 1}`));
    const streams = server.seen.slice(before).filter((r) => r.path.startsWith(`/api/tasks/${id}/events`) && !r.path.includes("follow=0"));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[0].lastEventId).toBeNull();
    expect(Number(streams[1].lastEventId)).toBeGreaterThan(0);

    // The whole log again, now that it has finished, without --follow: the same lines, and it ends by itself.
    const again = await cli(["logs", id.slice(0, 8), "--json"]);
    const events = again.stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: number; type: string });
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
    expect(events.at(-1)?.type).toBeTruthy();
  });

  it("pr opens the pull request on GitHub, then says it updated it", async () => {
    const res = await cli(["pr", codeTask, "--draft"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const m = /Opened draft pull request #(\d+) from (\S+): (\S+)/.exec(res.stdout);
    expect(m, res.stdout).toBeTruthy();
    const pull = stack.github.state.pulls.find((p) => p.number === Number(m![1]));
    expect(pull).toMatchObject({ draft: true, headRef: m![2], baseRef: "main" });
    const again = await cli(["pr", codeTask, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ updated: true, pr: { number: Number(m![1]) } });
  });

  it("exec --ask outside a checkout with --repo/--branch, --json --follow: one JSON object per line, the final task last", async () => {
    const res = await cli(["exec", "How does sum work?", "--ask", "--repo", "acme/widgets", "--branch", "main", "--json", "--follow"], { cwd: os.tmpdir() });
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ task: { mode: "ask", repoFullName: "acme/widgets" } });
    expect(lines.slice(1, -1).every((l) => typeof l.type === "string" && typeof l.id === "number")).toBe(true);
    expect(lines.at(-1)).toMatchObject({ task: { status: "succeeded", mode: "ask" } });
  });

  it("exit codes say what happened: usage 2, auth 3, not found 4, rate limited 6, unreachable 7", async () => {
    expect((await cli(["exec"], { cwd: clone })).code).toBe(2);
    expect((await cli(["exec", "x", "--attempts", "9"], { cwd: clone })).code).toBe(2);
    expect((await cli(["exec", "x"], { cwd: os.tmpdir() })).stderr).toContain("pass --repo owner/name");
    const missing = await cli(["status", "00000000-0000-4000-8000-000000000000"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe("patchbay: No such task.\n");
    expect((await cli(["status", "ffff"])).code).toBe(4);

    const readOnly = await token(aliceId, ["tasks:read"], "read only");
    const scoped = await cli(["pr", codeTask], { env: { PATCHBAY_URL: server.url, PATCHBAY_TOKEN: readOnly } });
    expect(scoped.code).toBe(3);
    expect(scoped.stderr).toContain("lacks the pr:write scope");

    const limited = await token(aliceId, ["tasks:read"], "spent");
    await handle.db.update(apiTokens).set({ rateTat: new Date(Date.now() + 3_600_000) }).where(eq(apiTokens.tokenHash, hashToken(limited)));
    const spent = await cli(["list", "--json"], { env: { PATCHBAY_URL: server.url, PATCHBAY_TOKEN: limited } });
    expect(spent.code).toBe(6);
    expect(JSON.parse(spent.stderr)).toMatchObject({ error: { code: "rate_limited", status: 429, retryAfter: expect.any(Number) } });

    const down = await cli(["list"], { env: { PATCHBAY_URL: "http://127.0.0.1:9", PATCHBAY_TOKEN: patToken } });
    expect(down.code).toBe(7);
    expect(down.stderr).toContain("Cannot reach Patchbay at http://127.0.0.1:9");

    const out = await cli(["logout"]);
    expect(out.code).toBe(0);
    expect((await cli(["list"])).code).toBe(3);
  });
});
