import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAttemptEvents } from "@/db/queries/events";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import type { EngineName } from "@/lib/engines";
import { getEnv } from "@/lib/env";
import { isRoot } from "@/lib/sandbox/host-user";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { cancelTask } from "@/lib/tasks/cancel";
import { addFollowUp } from "@/lib/tasks/follow-up";
import { openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, waitFor, type TestStack } from "../helpers/stack";

/**
 * Each CLI engine end to end: a scripted scenario of the fake model through the real CLI binary (Codex CLI, Claude
 * Code), inside the real sandbox, its model reached only through the runner's gateway, to a diff, a log with
 * commands and citations, a resumed follow-up, and Stop.
 */

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

let stack: TestStack;
let handle: Awaited<ReturnType<typeof openTestDb>>;
let runner: Runner;
let userId: string;

beforeAll(async () => {
  stack = await startTestStack({ textDelayMs: 1 });
  handle = await openTestDb("pglite");
  setProcessDb(handle);
  runner = await startRunner(handle, runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100, heartbeatMs: 200, concurrency: 2, perUserLimit: 2 }));
  const [u] = await handle.db.insert(users).values({ name: "Alice", githubLogin: "alice" }).returning();
  userId = u.id;
});
afterAll(async () => {
  await runner?.stop();
  await handle?.cleanup();
  await stack?.close();
});

async function newTask(engine: EngineName, prompt: string, mode: "code" | "ask" = "code") {
  const { task, attempts } = await insertTaskWithJobs(handle.db, { ownerId: userId, repoFullName: "acme/widgets", baseBranch: "main", mode, title: prompt.slice(0, 40), prompt, attemptsCount: 1, engine });
  await handle.notify("patchbay_jobs", "");
  return { task, attempt: attempts[0] };
}

const finished = (attemptId: string, turn = 0) =>
  waitFor(async () => {
    const a = await findAttempt(handle.db, attemptId);
    return a && a.turn === turn && FINAL.includes(a.status) ? a : null;
  }, 120_000, `attempt ${attemptId} turn ${turn} to finish`);

describe.each([
  { engine: "codex" as const, label: "Codex CLI", provider: "/v1/responses" },
  { engine: "claude" as const, label: "Claude Code", provider: "/v1/messages" },
])("$label as the engine", ({ engine, provider }) => {
  it("works a Code task through the real CLI in the sandbox: commands with chunk ids, a patch, model calls, the diff", async () => {
    const before = stack.model.received.length;
    const { attempt: a } = await newTask(engine, `Make greet trim the name [scenario:${engine}-greet]`);
    const attempt = await finished(a.id);
    expect(attempt.errorMessage).toBeNull();
    expect(attempt.status).toBe("succeeded");
    expect(attempt.diff).toContain('+  return "Hello, " + name.trim() + "!";');
    expect(attempt.diffStats).toEqual({ files: 1, additions: 1, deletions: 1 });
    expect(attempt.engineSession).toMatch(/^[0-9a-f-]{36}$/);
    expect(attempt.inputTokens).toBeGreaterThan(0);
    expect(attempt.outputTokens).toBeGreaterThan(0);

    const events = await listAttemptEvents(handle.db, attempt.id);
    const starts = events.filter((e) => e.type === "command" && e.payload.phase === "start");
    expect(starts.map((e) => e.payload.chunkId)).toEqual(["c1", "c2"]);
    expect(JSON.stringify(starts[0].payload.argv)).toContain("cat src/greet.js");
    expect(JSON.stringify(starts[1].payload.argv)).toContain("node test/run.js");
    const testOutput = events.filter((e) => e.type === "log" && e.payload.chunkId === "c2").map((e) => e.payload.text).join("");
    expect(testOutput).toContain("all tests passed");
    const end = events.find((e) => e.type === "command" && e.payload.phase === "end" && e.payload.chunkId === "c2");
    expect(end?.payload.exitCode).toBe(0);
    expect(events.find((e) => e.type === "patch")?.payload.changed).toEqual([{ path: "src/greet.js", kind: "update" }]);
    const final = events.filter((e) => e.type === "message").at(-1);
    expect(String(final?.payload.text)).toMatch(/## Summary[\s\S]*【F:src\/greet\.js†L1-L3】[\s\S]*【c2†L1-L1】/);
    expect(attempt.summary).toContain("## Summary");

    // Every model call went through the gateway (the fake saw the real key, never the sandbox's dummy) and is logged.
    const calls = events.filter((e) => e.type === "model" && e.payload.kind === "call");
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every((e) => e.payload.path === provider && Number(e.payload.inputTokens) > 0)).toBe(true);
    expect(events.some((e) => e.type === "model" && e.payload.kind === "summary")).toBe(true);
    expect(events.filter((e) => e.type === "usage").length).toBeGreaterThan(0);
    const seen = stack.model.received.slice(before).filter((r) => JSON.stringify(r.body).includes(`[scenario:${engine}-greet]`));
    expect(seen.length).toBe(calls.length);
    expect(seen.every((r) => r.path.startsWith(provider))).toBe(true);
  });

  it("resumes the engine's own session in a follow-up: the model sees the first turn, the diff holds both", async () => {
    const { task, attempt: a } = await newTask(engine, `Make greet trim the name [scenario:${engine}-greet] (then a follow-up)`);
    const first = await finished(a.id);
    expect(first.status).toBe("succeeded");
    await addFollowUp({ userId, taskId: task.id, prompt: `Add a note about it [scenario:${engine}-followup]` });
    const second = await finished(a.id, 1);
    expect(second.errorMessage).toBeNull();
    expect(second.status).toBe("succeeded");
    expect(second.engineSession).toBe(first.engineSession);
    expect(second.diff).toContain("name.trim()");
    expect(second.diff).toContain("+Names are trimmed.");

    const resumed = stack.model.received.filter((r) => JSON.stringify(r.body).includes(`[scenario:${engine}-followup]`));
    expect(resumed.length).toBeGreaterThan(0);
    // The engine's saved conversation came back: the first turn's prompt and answer are in the request.
    expect(JSON.stringify(resumed[0].body)).toContain(`[scenario:${engine}-greet] (then a follow-up)`);
    expect(JSON.stringify(resumed[0].body)).toContain("now trims surrounding whitespace");

    const events = await listAttemptEvents(handle.db, a.id);
    const starts = events.filter((e) => e.type === "command" && e.payload.phase === "start").map((e) => `${e.turn}:${e.payload.chunkId}`);
    expect(starts).toEqual(["0:c1", "0:c2", "1:c3"]);
  });

  it("never gives the sandbox the model key: the engine holds a dummy, the gateway refuses other paths", async () => {
    const { attempt: a } = await newTask(engine, "Look around [scenario:engine-env]");
    const attempt = await finished(a.id);
    expect(attempt.status).toBe("succeeded");
    const events = await listAttemptEvents(handle.db, a.id);
    const output = events.filter((e) => e.type === "log" && /^c\d+$/.test(String(e.payload.chunkId))).map((e) => String(e.payload.text)).join("");
    expect(output).toContain("PATCHBAY_MODEL_URL=http://127.0.0.1:3129");
    expect(output).toContain("gateway files: 403");
    for (const key of [stack.env.OPENAI_API_KEY, stack.env.ANTHROPIC_API_KEY]) expect(output).not.toContain(key);
    expect(events.some((e) => e.type === "model" && e.payload.kind === "refused" && e.payload.path === "/v1/files")).toBe(true);
  });

  it("stops the CLI and everything it started on Stop", async () => {
    const { task, attempt: a } = await newTask(engine, "Run the slow build [scenario:engine-slow]");
    await waitFor(async () => {
      const events = await listAttemptEvents(handle.db, a.id);
      return events.some((e) => e.type === "log" && String(e.payload.text).includes("step 3"))
        ? true
        : events.some((e) => e.type === "command" && e.payload.phase === "start");
    }, 60_000, "the slow command to start");
    await cancelTask({ userId, taskId: task.id });
    const attempt = await finished(a.id);
    expect(attempt.status).toBe("cancelled");
    const events = await listAttemptEvents(handle.db, a.id);
    const open = events.filter((e) => e.type === "command" && e.payload.phase === "start").filter((s) => !events.some((e) => e.type === "command" && e.payload.phase === "end" && e.payload.chunkId === s.payload.chunkId));
    expect(open).toEqual([]);
  });
});

describe("the attempt's token budget, enforced by the gateway", () => {
  it.each(["codex", "claude"] as const)("%s: the call past the budget is refused and the attempt fails with token_limit", async (engine) => {
    // A runner of its own, with a budget the first model call already exceeds.
    await runner.stop();
    const config = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100, heartbeatMs: 200 });
    runner = await startRunner(handle, { ...config, agentLimits: { ...config.agentLimits, maxTokens: 1500 } });
    try {
      const { attempt: a } = await newTask(engine, `Make greet trim the name [scenario:${engine}-greet]`);
      const attempt = await finished(a.id);
      expect(attempt.status).toBe("failed");
      expect(attempt.errorCode).toBe("token_limit");
      expect(attempt.errorMessage).toMatch(/budget is 1500 \(AGENT_MAX_TOKENS\)/);
      const events = await listAttemptEvents(handle.db, a.id);
      const refused = events.find((e) => e.type === "model" && e.payload.kind === "refused");
      expect(refused?.payload).toMatchObject({ reason: "budget", message: expect.stringContaining("token budget") });
      expect(events.filter((e) => e.type === "model" && e.payload.kind === "call")).toHaveLength(1);
    } finally {
      await runner.stop();
      runner = await startRunner(handle, config);
    }
  });
});

describe("an engine installed where the sandbox user cannot reach it (Patchbay in /root or a mktemp -d, mode 700)", () => {
  it.runIf(isRoot())("is staged into the data folder and runs; a data folder it cannot reach either fails saying what to chmod", async () => {
    const hidden = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-hidden-"));
    expect(fs.statSync(hidden).mode & 0o777).toBe(0o700);
    const pkg = "@openai/codex-linux-x64";
    fs.mkdirSync(path.join(hidden, "node_modules", "@openai"), { recursive: true });
    // Links where one file system allows it (the 424 MB binary), else a copy.
    const from = path.resolve("node_modules", pkg);
    const to = path.join(hidden, "node_modules", pkg);
    if (spawnSync("cp", ["-al", from, to]).status !== 0) expect(spawnSync("cp", ["-a", from, to]).status).toBe(0);
    const stagedBefore = fs.existsSync(path.join(stack.dataDir, "engines")) ? fs.readdirSync(path.join(stack.dataDir, "engines")) : [];
    await runner.stop();
    const config = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100, heartbeatMs: 200 });
    try {
      runner = await startRunner(handle, { ...config, engines: { ...config.engines, nodeModules: path.join(hidden, "node_modules") } });
      const { attempt: a } = await newTask("codex", "Make greet trim the name [scenario:codex-greet]");
      const attempt = await finished(a.id);
      expect(attempt.errorMessage).toBeNull();
      expect(attempt.status).toBe("succeeded");
      expect(attempt.diff).toContain("name.trim()");
      // Its staging is new (a clone in a mode-700 folder has staged its own engines already).
      const staged = fs.readdirSync(path.join(stack.dataDir, "engines")).filter((name) => !stagedBefore.includes(name));
      expect(staged).toHaveLength(1);
      const binary = path.join("vendor", "x86_64-unknown-linux-musl", "bin", "codex");
      if (process.arch === "x64") expect(fs.statSync(path.join(stack.dataDir, "engines", staged[0], "bin", "codex")).size).toBe(fs.statSync(path.join(from, binary)).size);
      await runner.stop();

      // A data folder behind the same mode-700 folder: nothing to stage into that the sandbox user could reach.
      const dataDir = path.join(hidden, "data");
      fs.mkdirSync(dataDir);
      runner = await startRunner(handle, { ...config, dataDir, engines: { ...config.engines, nodeModules: path.join(hidden, "node_modules") } });
      const { attempt: b } = await newTask("codex", "Make greet trim the name [scenario:codex-greet]");
      const failed = await finished(b.id);
      expect(failed.status).toBe("failed");
      expect(failed.errorCode).toBe("engine_unreachable");
      expect(failed.errorMessage).toContain(`Codex CLI is installed in ${to}`);
      expect(failed.errorMessage).toContain(`chmod o+x ${hidden}`);
    } finally {
      await runner.stop();
      runner = await startRunner(handle, config);
      fs.rmSync(hidden, { recursive: true, force: true });
    }
  });
});

describe("engine errors", () => {
  it("says how to install an engine whose binary is missing", async () => {
    const missing = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir });
    const { engineFor } = await import("@/lib/engines");
    const engine = engineFor("codex", { ...missing.engines, nodeModules: "/nonexistent" });
    expect(engine.unavailable()).toEqual({ code: "engine_not_installed", message: expect.stringContaining("npm install @openai/codex") });
    const claude = engineFor("claude", { ...missing.engines, nodeModules: "/nonexistent" });
    expect(claude.unavailable()?.message).toContain("npm install @anthropic-ai/claude-code");
    const noKey = engineFor("claude", { ...missing.engines, anthropic: null });
    expect(noKey.unavailable()).toEqual({ code: "model_not_configured", message: expect.stringContaining("ANTHROPIC_API_KEY") });
  });
});
