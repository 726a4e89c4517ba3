import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBoardTasks } from "@/db/queries/board";
import { listAttemptEvents } from "@/db/queries/events";
import { upsertEnvironment } from "@/db/queries/environments";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { encryptText } from "@/lib/crypto";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv, type RunnerConfig } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { warm } from "@/lib/runner/warm";
import { openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, waitFor, type TestStack } from "../helpers/stack";

/** Test setup (the setup script alone, never on the board) and warm start (a picked repository made ready). */
const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const isRoot = process.getuid?.() === 0;

describe("Test setup and warm start", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  let config: RunnerConfig;
  let userId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("pglite");
    setProcessDb(db);
    config = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100 });
    runner = await startRunner(db, config);
    const [user] = await db.db.insert(users).values({ name: "A", githubLogin: "alice", githubId: 1001 }).returning();
    userId = user.id;
  });
  afterAll(async () => {
    await runner?.stop();
    await db?.cleanup();
    await stack?.close();
  });

  async function finished(attemptId: string) {
    return waitFor(async () => {
      const a = await findAttempt(db.db, attemptId);
      return a && FINAL.includes(a.status) ? a : null;
    }, 60_000, "the attempt to finish");
  }

  it.skipIf(!isRoot)("warm start makes the repository's checkout before any task, so the first one starts from it", async () => {
    expect(await warm(db, config, JSON.stringify({ repoFullName: "acme/widgets", branch: "main", userId }))).toBe("base");
    expect(fs.readdirSync(path.join(stack.dataDir, "cache", "base"))).toHaveLength(1);
    // Asked again at once: nothing to do (a person clicking around the picker).
    expect(await warm(db, config, JSON.stringify({ repoFullName: "acme/widgets", branch: "main", userId }))).toBeNull();
    expect(await warm(db, config, '{"repoFullName":"not a repo"}')).toBeNull();
    const { attempts } = await insertTaskWithJobs(db.db, {
      ownerId: userId, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: "t", prompt: "Make greet trim the name", attemptsCount: 1,
    });
    await db.notify("patchbay_jobs", "");
    const attempt = await finished(attempts[0].id);
    expect(attempt.status).toBe("succeeded");
    expect(fs.readdirSync(path.join(stack.dataDir, "cache", "base"))).toHaveLength(1);
  });

  it("Test setup runs the saved setup script alone (no agent), streams its log, and stays off the board", async () => {
    await upsertEnvironment(
      db.db,
      { ownerId: userId, repoFullName: "acme/widgets" },
      {
        defaultBranch: "main",
        setupScript: 'echo "testing setup with $APP_MODE"\nls src',
        envVars: { APP_MODE: "trial" },
        secretsEncrypted: encryptText(JSON.stringify({})),
        internetPolicy: "off",
        setupTimeoutSeconds: 60,
      },
    );
    const before = stack.model.requests;
    const { task, attempts } = await insertTaskWithJobs(db.db, {
      ownerId: userId, repoFullName: "acme/widgets", baseBranch: "main", mode: "setup", title: "Test setup", prompt: "", attemptsCount: 1,
    });
    await db.notify("patchbay_jobs", "");
    const attempt = await finished(attempts[0].id);
    expect(attempt.errorMessage).toBeNull();
    expect(attempt.status).toBe("succeeded");
    expect(attempt.summary).toBe("The setup script finished successfully.");
    expect(attempt.diff).toBeNull();
    expect(stack.model.requests).toBe(before);
    const log = (await listAttemptEvents(db.db, attempt.id)).filter((e) => e.type === "log").map((e) => String(e.payload.text)).join("");
    expect(log).toContain("testing setup with trial");
    expect(log).toContain("greet.js");
    const board = await listBoardTasks(db.db, { ownerId: userId, archived: false, limit: 50 });
    expect(board.tasks.map((t) => t.id)).not.toContain(task.id);
  });
});
