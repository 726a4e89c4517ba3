import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { openTestDb } from "../helpers/db";
import { startTestStack, setProcessDb, waitFor, type TestStack } from "../helpers/stack";

describe("a runner without bubblewrap", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("pglite");
    setProcessDb(db);
    const config = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100 });
    runner = await startRunner(db, { ...config, sandbox: { ...config.sandbox, bwrapPath: "/nonexistent/bwrap" } });
  });
  afterAll(async () => {
    await runner?.stop();
    await db?.cleanup();
    await stack?.close();
  });

  it("fails the attempt with how to install it, and runs nothing unsandboxed", async () => {
    const [user] = await db.db.insert(users).values({ name: "A" }).returning();
    const { attempts } = await insertTaskWithJobs(db.db, {
      ownerId: user.id, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: "t",
      prompt: "Make greet trim the name", attemptsCount: 1,
    });
    await db.notify("patchbay_jobs", "");
    const attempt = await waitFor(async () => {
      const a = await findAttempt(db.db, attempts[0].id);
      return a?.status === "failed" ? a : null;
    }, 30_000, "the attempt to fail");
    expect(attempt.errorCode).toBe("sandbox_unavailable");
    expect(attempt.errorMessage).toMatch(/apt-get install bubblewrap/);
    expect(stack.model.requests).toBe(0);
    expect(attempt.diff).toBeNull();
  });
});
