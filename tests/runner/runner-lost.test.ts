import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite, type DbHandle } from "@/db/client";
import { listAttemptEvents } from "@/db/queries/events";
import { findAttempt, findTask, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner } from "@/lib/runner/runner";
import { dbKinds, openTestDb } from "../helpers/db";
import { startTestStack, waitFor, type TestStack } from "../helpers/stack";


let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

function sandboxedSlowCommands(): number {
  try {
    return execFileSync("pgrep", ["-f", "seq 1 40"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).length;
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

describe.each(dbKinds)("a runner killed mid-attempt (%s)", (kind) => {
  let worker: ChildProcess | undefined;
  afterAll(() => {
    worker?.kill("SIGKILL");
  });

  it("leaves the attempt failed as 'runner lost' once another runner sweeps, with its log kept", async () => {
    // The database both processes use: a PGlite folder (one process at a time) or a PostgreSQL database.
    const pgliteDir = path.join(stack.dataDir, `db-${kind}`);
    const server = kind === "postgres" ? await openTestDb("postgres") : null;
    let handle: DbHandle = server ?? (await openPglite(pgliteDir));
    const [user] = await handle.db.insert(users).values({ name: "Alice" }).returning();
    const { attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "slow",
      prompt: "[scenario:slow] count slowly",
      attemptsCount: 1,
    });
    if (!server) await handle.close(); // PGlite: the worker process must own the folder

    const env: NodeJS.ProcessEnv = { ...process.env, ...stack.env, RUNNER_LEASE_SECONDS: "2" };
    if (server) env.DATABASE_URL = server.url;
    else {
      delete env.DATABASE_URL;
      env.PATCHBAY_DATA_DIR = stack.dataDir;
    }
    // scripts/worker.ts opens <PATCHBAY_DATA_DIR>/db; point it at this test's folder through a symlink-free path.
    if (!server) env.PATCHBAY_DATA_DIR = path.join(stack.dataDir, `data-${kind}`);
    const dbDirForWorker = server ? null : path.join(env.PATCHBAY_DATA_DIR!, "db");
    if (dbDirForWorker) {
      const fs = await import("node:fs");
      fs.mkdirSync(path.dirname(dbDirForWorker), { recursive: true });
      fs.renameSync(pgliteDir, dbDirForWorker);
    }

    // `node --import tsx` rather than the tsx CLI: the CLI runs the script in a child process, which SIGKILL of the
    // CLI would leave running.
    worker = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    worker.stdout?.on("data", (d) => (output += d));
    worker.stderr?.on("data", (d) => (output += d));
    await waitFor(async () => sandboxedSlowCommands() > 0, 60_000, `the worker to start the slow command; worker said: ${output}`);

    worker.kill("SIGKILL");
    await new Promise((r) => worker!.once("exit", r));
    // bwrap runs with --die-with-parent: the sandboxed command does not outlive its runner.
    await waitFor(async () => sandboxedSlowCommands() === 0, 5_000, "the sandboxed command to die with its runner");

    if (!server) handle = await openPglite(dbDirForWorker!); // takes over the dead worker's lock
    const stuck = await findAttempt(handle.db, attempts[0].id);
    expect(stuck?.status).toBe("running");

    const runner = await startRunner(handle, runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, sweepMs: 200, pollMs: 200 }));
    try {
      const failed = await waitFor(async () => {
        const a = await findAttempt(handle.db, attempts[0].id);
        return a?.status === "failed" ? a : null;
      }, 15_000, "the sweeper to fail the lost attempt");
      expect(failed.errorCode).toBe("runner_lost");
      expect(failed.errorMessage).toMatch(/runner lost/);
      // The sweeper records the attempt's end, then its events, then the task's status: wait for the last.
      await waitFor(async () => (await findTask(handle.db, failed.taskId))?.status === "failed", 5_000, "the task to follow");
      const events = await listAttemptEvents(handle.db, failed.id);
      expect(events.some((e) => e.type === "command" && e.payload.phase === "start")).toBe(true);
      expect(events.slice(-2).map((e) => e.type)).toEqual(["error", "status"]);
    } finally {
      await runner.stop();
      if (server) await server.cleanup();
      else await handle.close();
    }
  });
});
