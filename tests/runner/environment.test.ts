import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAttemptEvents } from "@/db/queries/events";
import { upsertEnvironment } from "@/db/queries/environments";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { encryptText } from "@/lib/crypto";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, waitFor, type TestStack } from "../helpers/stack";

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

describe("environments: setup script, variables and secrets", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("pglite");
    setProcessDb(db);
    runner = await startRunner(db, runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, pollMs: 100 }));
  });
  afterAll(async () => {
    await runner?.stop();
    await db?.cleanup();
    await stack?.close();
  });

  async function run(setupScript: string, prompt: string) {
    const [user] = await db.db.insert(users).values({ name: "A" }).returning();
    await upsertEnvironment(
      db.db,
      { ownerId: user.id, repoFullName: "acme/widgets" },
      {
        defaultBranch: "main",
        setupScript,
        envVars: { APP_MODE: "testing" },
        secretsEncrypted: encryptText(JSON.stringify({ DEPLOY_TOKEN: "s3cr3t-value-42" })),
        internetPolicy: "off",
        setupTimeoutSeconds: 60,
      },
    );
    const { attempts } = await insertTaskWithJobs(db.db, {
      ownerId: user.id, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: "t", prompt, attemptsCount: 1,
    });
    await db.notify("patchbay_jobs", "");
    const attempt = await waitFor(async () => {
      const a = await findAttempt(db.db, attempts[0].id);
      return a && FINAL.includes(a.status) ? a : null;
    }, 60_000, "the attempt to finish");
    const events = await listAttemptEvents(db.db, attempt.id);
    const logOf = (chunkId: string) => events.filter((e) => e.type === "log" && e.payload.chunkId === chunkId).map((e) => String(e.payload.text)).join("");
    return { attempt, events, logOf };
  }

  it("runs setup with variables and secrets; the agent sees the variables and the setup's files, never the secrets", async () => {
    const { attempt, events, logOf } = await run(
      'echo "mode=$APP_MODE token=$DEPLOY_TOKEN"\ntest -n "$DEPLOY_TOKEN"\necho "built in $APP_MODE" > built.txt\nexport LEAKED=1',
      "[scenario:env] what do you see?",
    );
    expect(attempt.errorMessage).toBeNull();
    expect(attempt.status).toBe("succeeded");
    expect(events.some((e) => e.type === "status" && e.payload.status === "setup")).toBe(true);
    // The secret reached the setup script but is masked in the log.
    expect(logOf("setup-script")).toContain("mode=testing token=***");
    expect(JSON.stringify(events)).not.toContain("s3cr3t-value-42");
    // The agent's shell: variables yes, secrets and setup's exports no; setup's files yes.
    const agent = logOf("c1");
    expect(agent).toContain("APP_MODE=testing");
    expect(agent).not.toContain("DEPLOY_TOKEN");
    expect(agent).not.toContain("LEAKED");
    expect(agent).toContain("built in testing");
  });

  it("fails the attempt clearly when the setup script fails, before the agent starts", async () => {
    const before = stack.model.requests;
    const { attempt, logOf } = await run('echo "installing"\nfalse\necho "never here"', "Make greet trim the name");
    expect(attempt.status).toBe("failed");
    expect(attempt.errorCode).toBe("setup_failed");
    expect(attempt.errorMessage).toMatch(/setup script failed \(exit 1\)/);
    expect(logOf("setup-script")).toContain("installing");
    expect(logOf("setup-script")).not.toContain("never here");
    expect(stack.model.requests).toBe(before);
  });
});
