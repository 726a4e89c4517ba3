import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { openTestDb } from "../helpers/db";
import { startTestStack, setProcessDb, waitFor, type TestStack } from "../helpers/stack";

describe("a runner that cannot sandbox", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner | undefined;
  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("pglite");
    setProcessDb(db);
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
  });
  afterAll(async () => {
    await db?.cleanup();
    await stack?.close();
  });

  async function runOne(prompt: string) {
    const [user] = await db.db.insert(users).values({ name: "A" }).returning();
    const { attempts } = await insertTaskWithJobs(db.db, {
      ownerId: user.id, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: "t", prompt, attemptsCount: 1,
    });
    await db.notify("patchbay_jobs", "");
    return waitFor(async () => {
      const a = await findAttempt(db.db, attempts[0].id);
      return a?.status === "failed" ? a : null;
    }, 30_000, "the attempt to fail");
  }

  it.skipIf(process.getuid?.() !== 0)("fails clearly when the data folder is out of the sandbox user's reach", async () => {
    const hidden = path.join(stack.dataDir, "private");
    fs.mkdirSync(hidden, { mode: 0o700 });
    runner = await startRunner(db, runnerConfigFromEnv(getEnv(), { dataDir: path.join(hidden, "data"), pollMs: 100 }));
    const attempt = await runOne("Make greet trim the name");
    expect(attempt.errorCode).toBe("workspace_unreachable");
    expect(attempt.errorMessage).toContain(`chmod o+x ${hidden}`);
  });

  it("fails the attempt with how to install bubblewrap, and runs nothing unsandboxed", async () => {
    const config = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100 });
    runner = await startRunner(db, { ...config, sandbox: { ...config.sandbox, bwrapPath: "/nonexistent/bwrap" } });
    const before = stack.model.requests;
    const attempt = await runOne("Make greet trim the name");
    expect(attempt.errorCode).toBe("sandbox_unavailable");
    expect(attempt.errorMessage).toMatch(/apt-get install bubblewrap/);
    expect(stack.model.requests).toBe(before);
    expect(attempt.diff).toBeNull();
  });
});
