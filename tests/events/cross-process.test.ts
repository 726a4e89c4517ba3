import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { taskEventStream } from "@/lib/events/stream";
import { openTestDb } from "../helpers/db";
import { readSse } from "../helpers/sse";
import { startTestStack, setProcessDb, type TestStack } from "../helpers/stack";

/**
 * Scale-out: a runner in one process appends events; an SSE stream served by another process (this one) receives
 * them through PostgreSQL LISTEN/NOTIFY, with no polling.
 */
describe.skipIf(!process.env.DATABASE_URL)("events across processes (PostgreSQL)", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("postgres");
    setProcessDb(db);
  });
  afterAll(async () => {
    worker?.kill("SIGTERM");
    await db?.cleanup();
    await stack?.close();
  });

  it("streams a worker process's events to this process's SSE client as they happen", async () => {
    const [user] = await db.db.insert(users).values({ name: "Alice" }).returning();
    const { task } = await insertTaskWithJobs(db.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "trim",
      prompt: "Make greet trim the name",
      attemptsCount: 1,
    });
    const controller = new AbortController();
    const stream = await taskEventStream({ taskId: task.id, afterId: 0, signal: controller.signal });
    const reading = readSse(stream, (events) => events.some((e) => e.data.type === "status" && e.data.payload && (e.data.payload as { status: string }).status === "succeeded"), 60_000);

    worker = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"], {
      env: { ...process.env, ...stack.env, DATABASE_URL: db.url },
      stdio: "ignore",
    });
    const events = await reading;
    controller.abort();

    const types = new Set(events.map((e) => e.data.type));
    expect([...types]).toEqual(expect.arrayContaining(["status", "command", "log", "message", "diff"]));
    const ids = events.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
  });
});
