import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAttemptEvents } from "@/db/queries/events";
import { bumpCacheGeneration, cacheSummary, upsertEnvironment } from "@/db/queries/environments";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { encryptText } from "@/lib/crypto";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { addFollowUp } from "@/lib/tasks/follow-up";
import { fakeRepo } from "../pr/helpers";
import { openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, waitFor, type TestStack } from "../helpers/stack";

/**
 * Cached environments: the checkout after setup is kept and reused as an overlay's lower layer, so a second
 * attempt starts without setup; Best-of-N shares one setup run; a moved base commit takes the maintenance path;
 * Reset cache runs setup again; and what setup produced is never part of the agent's diff.
 */
const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("cached environments (volumes and overlays need root)", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  let userId: string;
  let environmentId: string;

  const SETUP = 'echo "installing deps"\nmkdir -p node_modules/dep && echo "module.exports = 1" > node_modules/dep/index.js\necho "built by setup" > built.txt\nsleep 1';

  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("pglite");
    setProcessDb(db);
    runner = await startRunner(db, runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100, concurrency: 3, perUserLimit: 3, mirrorFreshMs: 0 }));
    const [user] = await db.db.insert(users).values({ name: "A", githubLogin: "alice", githubId: 1001 }).returning();
    userId = user.id;
    const env = await upsertEnvironment(
      db.db,
      { ownerId: userId, repoFullName: "acme/widgets" },
      {
        defaultBranch: "main",
        setupScript: SETUP,
        maintenanceScript: 'echo "maintenance ran"',
        envVars: { APP_MODE: "testing" },
        secretsEncrypted: encryptText(JSON.stringify({ TOKEN: "s3cr3t-cache" })),
        internetPolicy: "off",
        setupTimeoutSeconds: 60,
      },
    );
    environmentId = env.id;
  });
  afterAll(async () => {
    await runner?.stop();
    await db?.cleanup();
    await stack?.close();
  });

  async function run(prompt: string, attemptsCount = 1) {
    const { attempts } = await insertTaskWithJobs(db.db, {
      ownerId: userId, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: "t", prompt, attemptsCount,
    });
    await db.notify("patchbay_jobs", "");
    const started = Date.now();
    const done = await Promise.all(
      attempts.map((a) =>
        waitFor(async () => {
          const row = await findAttempt(db.db, a.id);
          return row && FINAL.includes(row.status) ? row : null;
        }, 90_000, "the attempt to finish"),
      ),
    );
    const results = [];
    for (const attempt of done) {
      const events = await listAttemptEvents(db.db, attempt.id);
      const log = events.filter((e) => e.type === "log").map((e) => String(e.payload.text)).join("");
      const ranSetup = events.some((e) => e.type === "command" && e.payload.chunkId === "setup-script" && e.payload.phase === "start");
      const statuses = events.filter((e) => e.type === "status").map((e) => String(e.payload.status));
      results.push({ attempt, log, ranSetup, statuses });
    }
    return { results, ms: Date.now() - started };
  }

  it("runs setup once, keeps the prepared checkout, and reuses it without setup; setup's files stay out of the diff", async () => {
    const first = (await run("Make greet trim the name (cache 1)")).results[0];
    expect(first.attempt.errorMessage).toBeNull();
    expect(first.ranSetup).toBe(true);
    expect(first.statuses).toContain("setup");
    expect(first.log).toContain("Prepared the environment (setup ran; cached for the next attempts)");
    expect(first.attempt.diff).toContain("name.trim()");
    expect(first.attempt.diff).not.toContain("built.txt");
    expect(first.attempt.diff).not.toContain("node_modules");

    const second = (await run("[scenario:env] what did setup leave?")).results[0];
    expect(second.attempt.status).toBe("succeeded");
    expect(second.ranSetup).toBe(false);
    expect(second.statuses).not.toContain("setup");
    expect(second.log).toMatch(/Using the prepared environment \(cached \d+ s ago; setup skipped\)/);
    // The agent works on the prepared checkout: setup's files are there.
    expect(second.log).toContain("built by setup");
    expect(second.attempt.diff ?? "").not.toContain("built.txt");

    // The attempt's result stands on its own: its host repository borrows nothing from the cache entry.
    const hostRepo = path.join(first.attempt.workspacePath!, "host.git");
    expect(fs.readFileSync(path.join(hostRepo, "objects/info/alternates"), "utf8")).not.toContain("/cache/");
    execFileSync("git", ["--git-dir", hostRepo, "rev-list", "--objects", first.attempt.snapshotCommit!], { stdio: "pipe" });

    const third = (await run("Make greet trim the name (cache 3)")).results[0];
    expect(third.ranSetup).toBe(false);
    expect(third.attempt.diff).toBe(first.attempt.diff);
    const summary = await cacheSummary(db.db, environmentId);
    expect(summary.entries).toBe(1);
    expect(summary.bytes).toBeGreaterThan(0);
  });

  it("continues a follow-up over the cached environment", async () => {
    const { results } = await run("Make greet trim the name (cache follow-up)");
    const attempt = results[0].attempt;
    await addFollowUp({ userId, taskId: attempt.taskId, prompt: "Also make sum ignore non-numbers" });
    const second = await waitFor(async () => {
      const a = await findAttempt(db.db, attempt.id);
      return a && a.turn === 1 && FINAL.includes(a.status) ? a : null;
    }, 90_000, "the follow-up to finish");
    expect(second.errorMessage).toBeNull();
    expect(second.diff).toContain("name.trim()");
    expect(second.diff).toContain('typeof n === "number"');
    expect(second.diff).not.toContain("built.txt");
  });

  it("Best-of-N attempts share one setup run", async () => {
    await db.db.update((await import("@/db/schema")).environments).set({ setupScript: `${SETUP}\necho "v2"` });
    const { results } = await run("Make greet trim the name (best of three)", 3);
    expect(results.map((r) => r.attempt.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(results.filter((r) => r.ranSetup)).toHaveLength(1);
    for (const r of results) expect(r.attempt.diff).toContain("name.trim()");
  });

  it("when only the base commit moved, checks it out over the newest entry and runs the maintenance script", async () => {
    fakeRepo(stack).commit("main", "docs/NOTES.md", "moved on\n", "A newer commit on main");
    const { results } = await run("[scenario:env] after the base moved");
    const r = results[0];
    expect(r.attempt.errorMessage).toBeNull();
    expect(r.ranSetup).toBe(false);
    expect(r.log).toMatch(/over the environment prepared at [0-9a-f]{7}; ran the maintenance script instead of setup/);
    expect(r.log).toContain("maintenance ran");
    expect(r.log).toContain("built by setup");
    expect(r.attempt.diff ?? "").not.toContain("built.txt");
    expect(r.attempt.diff ?? "").not.toContain("docs/NOTES.md");
  });

  it("Reset cache: the next attempt runs setup again, and stale entries leave the disk", async () => {
    await bumpCacheGeneration(db.db, environmentId);
    const r = (await run("Make greet trim the name (after reset)")).results[0];
    expect(r.ranSetup).toBe(true);
    // Building the new entry evicts the stale ones (an older generation) in the background.
    const dir = path.join(stack.dataDir, "cache", environmentId);
    const left = await waitFor(async () => {
      const names = fs.readdirSync(dir);
      return names.length === 1 ? names : null;
    }, 10_000, "the stale entries to leave the disk");
    expect(left).toHaveLength(1); // the entry made after the reset
  });
});
