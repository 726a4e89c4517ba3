import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimJob } from "@/db/queries/jobs";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { jobs, users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, waitFor, type TestStack } from "../helpers/stack";

describe("per-user concurrency across runners", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  const runners: Runner[] = [];
  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("pglite");
    setProcessDb(db);
    // Two runners with room for 4 attempts each, sharing one database; each user may have 1 attempt running.
    for (let i = 0; i < 2; i++) {
      runners.push(await startRunner(db, runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, concurrency: 4, perUserLimit: 1, pollMs: 50 })));
    }
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await db?.cleanup();
    await stack?.close();
  });

  it("never runs two attempts of one user at once, even with two runners with room to spare", async () => {
    const [alice, bob] = await db.db.insert(users).values([{ name: "Alice" }, { name: "Bob" }]).returning();
    const base = { repoFullName: "acme/widgets", baseBranch: "main", mode: "code" as const, title: "t", prompt: "Make greet trim the name" };
    const a = await insertTaskWithJobs(db.db, { ...base, ownerId: alice.id, attemptsCount: 3 });
    const b = await insertTaskWithJobs(db.db, { ...base, ownerId: bob.id, attemptsCount: 1 });
    await db.notify("patchbay_jobs", "");
    for (const attempt of [...a.attempts, ...b.attempts]) {
      await waitFor(async () => ((await findAttempt(db.db, attempt.id))?.status === "succeeded" ? true : null), 60_000, "attempts to finish");
    }
    const aliceJobs = await waitFor(async () => {
      const rows = await db.db.select().from(jobs).where(eq(jobs.ownerId, alice.id));
      return rows.every((j) => j.status === "done") ? rows : null;
    }, 10_000, "alice's jobs to be released");
    const spans = aliceJobs.map((j) => [j.startedAt!.getTime(), j.finishedAt!.getTime()] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    expect(aliceJobs).toHaveLength(3);
  });
});

describe("a dead runner's jobs and the per-user limit", () => {
  it("stop counting as soon as their lease lapses, before any sweep", async () => {
    const db = await openTestDb("pglite");
    try {
      const [carol] = await db.db.insert(users).values({ name: "Carol" }).returning();
      const base = { repoFullName: "acme/widgets", baseBranch: "main", mode: "code" as const, title: "t", prompt: "p", ownerId: carol.id };
      const dead = await insertTaskWithJobs(db.db, { ...base, attemptsCount: 1 });
      const next = await insertTaskWithJobs(db.db, { ...base, attemptsCount: 1 });
      const claimed = await claimJob(db.db, { runnerId: "dead-runner", leaseMs: 60_000, perUserLimit: 1 });
      expect(claimed?.attemptId).toBe(dead.attempts[0].id);
      // The user is at their limit while the dead runner's lease holds…
      expect(await claimJob(db.db, { runnerId: "live-runner", leaseMs: 60_000, perUserLimit: 1 })).toBeNull();
      // …and has room again the moment it lapses.
      await db.db.update(jobs).set({ leaseUntil: new Date(Date.now() - 1000) }).where(eq(jobs.id, claimed!.id));
      const again = await claimJob(db.db, { runnerId: "live-runner", leaseMs: 60_000, perUserLimit: 1 });
      expect(again?.attemptId).toBe(next.attempts[0].id);
    } finally {
      await db.cleanup();
    }
  });
});
