import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { attempts as attemptsTable, jobs, taskEvents, tasks as tasksTable, users } from "@/db/schema";
import { openTestDb } from "../helpers/db";
import { startTestStack, waitFor, type TestStack } from "../helpers/stack";

/**
 * Scale-out, end to end: 2 web instances (the task event stream each serves) and 2 runner processes
 * (scripts/worker.ts) on one PostgreSQL database; one runner is killed with -9 while its attempts run a command.
 * What a team would notice: every task ends; no attempt runs twice; the dead runner's attempts end `runner_lost`
 * within the lease + 2 s of the kill; and every viewer's stream, on either web instance, is exactly the task's rows.
 */
const TASKS = 10;
const LEASE_S = 2;
const tsx = (script: string) => [process.execPath, ["--import", "tsx", "--conditions=react-server", script]] as const;

type Seen = { ids: number[]; types: string[] };

/** A viewer of a task's stream on a web instance: every event it was sent, in order. */
function view(port: number, taskId: string): { seen: Seen; close(): void } {
  const seen: Seen = { ids: [], types: [] };
  let buffer = "";
  const req = http.get(`http://127.0.0.1:${port}/events/${taskId}`, { agent: false }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!data) continue;
        const e = JSON.parse(data) as { id: number; type: string };
        seen.ids.push(e.id);
        seen.types.push(e.type);
      }
    });
    res.on("error", () => undefined);
  });
  req.on("error", () => undefined);
  return { seen, close: () => req.destroy() };
}

/** Starts a process and resolves with it once a line of its stdout matches `ready`. */
async function startProcess(script: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const [cmd, args] = tsx(script);
  const child = spawn(cmd, [...args], { env, stdio: ["ignore", "pipe", "inherit"] });
  for await (const line of readline.createInterface({ input: child.stdout! })) {
    const match = ready.exec(line);
    if (match) return { child, match };
  }
  throw new Error(`${script} exited before it was ready`);
}

describe.skipIf(!process.env.DATABASE_URL)("scale-out: 2 web instances + 2 runners on PostgreSQL, one runner killed with -9", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("postgres");
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await db?.cleanup();
    await stack?.close();
  });

  it("every task ends, none runs twice, the dead runner's attempts end runner_lost within lease + 2 s, every stream equals the rows", { timeout: 60_000 }, async () => {
    const [user] = await db.db.insert(users).values({ name: "Alice" }).returning();
    const taskIds: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const { task } = await insertTaskWithJobs(db.db, {
        ownerId: user.id,
        repoFullName: "acme/widgets",
        baseBranch: "main",
        mode: "code",
        title: `slow ${i}`,
        prompt: "[scenario:slow] count slowly",
        attemptsCount: 1,
      });
      taskIds.push(task.id);
    }
    const env: NodeJS.ProcessEnv = { ...process.env, ...stack.env, DATABASE_URL: db.url, RUNNER_LEASE_SECONDS: String(LEASE_S), RUNNER_PER_USER_CONCURRENCY: String(TASKS) };

    // Two web instances, each with a viewer on every task from before anything ran.
    const webs = await Promise.all([0, 1].map(() => startProcess("tests/scale/web-instance.ts", { ...env, RUNNER_EMBEDDED: "false" }, /^listening (\d+)$/)));
    children.push(...webs.map((w) => w.child));
    const viewers = webs.flatMap((w) => taskIds.map((id) => ({ taskId: id, ...view(Number(w.match[1]), id) })));

    // Two runners, each taking half of the tasks (5 at a time), each with its own data folder as on its own machine.
    const runners = await Promise.all(
      [0, 1].map((i) => {
        const dataDir = path.join(stack.dataDir, `runner-${i}`);
        fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
        return startProcess("scripts/worker.ts", { ...env, PATCHBAY_DATA_DIR: dataDir, RUNNER_CONCURRENCY: String(TASKS / 2) }, /^runner (\S+) started/);
      }),
    );
    children.push(...runners.map((r) => r.child));
    const started = performance.now();
    const [victim, survivor] = runners;
    const victimId = victim.match[1];

    // Kill the first runner once its attempts are all running their command (a command start event each).
    const victimAttempts = await waitFor(
      async () => {
        const held = await db.db.select({ attemptId: jobs.attemptId }).from(jobs).where(eq(jobs.runnerId, victimId));
        if (held.length < TASKS / 2) return null;
        const ids = held.map((h) => h.attemptId);
        const starts = await db.db.select({ attemptId: taskEvents.attemptId, payload: taskEvents.payload }).from(taskEvents).where(inArray(taskEvents.attemptId, ids));
        const running = new Set(starts.filter((e) => e.payload.phase === "start").map((e) => e.attemptId));
        return running.size === ids.length ? ids : null;
      },
      40_000,
      "the first runner's attempts to run their command",
    );
    victim.child.kill("SIGKILL");
    const killedAt = Date.now();
    const killedAfter = performance.now() - started;

    // Every task ends.
    const finalTasks = await waitFor(
      async () => {
        const rows = await db.db.select().from(tasksTable).where(inArray(tasksTable.id, taskIds));
        return rows.every((t) => t.status !== "queued" && t.status !== "running") ? rows : null;
      },
      40_000,
      "every task to end",
    );
    const allDone = performance.now() - started;
    const attemptRows = await db.db.select().from(attemptsTable).where(inArray(attemptsTable.taskId, taskIds));
    const lost = attemptRows.filter((a) => victimAttempts.includes(a.id));
    const kept = attemptRows.filter((a) => !victimAttempts.includes(a.id));
    expect(lost.map((a) => [a.status, a.errorCode])).toEqual(victimAttempts.map(() => ["failed", "runner_lost"]));
    expect(kept.map((a) => a.status)).toEqual(kept.map(() => "succeeded"));
    expect(finalTasks.map((t) => t.status).sort()).toEqual([...lost.map(() => "failed"), ...kept.map(() => "succeeded")].sort());
    const lostAfter = lost.map((a) => a.finishedAt!.getTime() - killedAt);
    for (const ms of lostAfter) expect(ms).toBeLessThanOrEqual((LEASE_S + 2) * 1000);

    // None ran twice: one job per attempt, held by one runner, and one run of the command.
    const jobRows = await db.db.select().from(jobs).where(inArray(jobs.taskId, taskIds));
    expect(jobRows).toHaveLength(TASKS);
    for (const j of jobRows) expect(j.runnerId === victimId || j.runnerId === survivor.match[1]).toBe(true);
    const rows = await db.db.select().from(taskEvents).where(inArray(taskEvents.taskId, taskIds)).orderBy(taskEvents.id);
    for (const a of attemptRows) {
      const runs = rows.filter((e) => e.attemptId === a.id && e.type === "command" && e.payload.phase === "start");
      expect(runs, `attempt ${a.id} ran its command once`).toHaveLength(1);
    }

    // Every stream, on both web instances, is the task's rows: same ids, same order, nothing missing or repeated.
    for (const v of viewers) {
      const expected = rows.filter((e) => e.taskId === v.taskId);
      await waitFor(async () => v.seen.ids.length >= expected.length, 10_000, `the stream of task ${v.taskId} to catch up`);
      expect(v.seen.ids).toEqual(expected.map((e) => e.id));
      expect(v.seen.types).toEqual(expected.map((e) => e.type));
      v.close();
    }

    console.log(
      `scale-out: ${TASKS} tasks, 2 web + 2 runners; killed a runner ${(killedAfter / 1000).toFixed(1)} s in; its ${lost.length} attempts runner_lost ` +
        `${Math.min(...lostAfter)}-${Math.max(...lostAfter)} ms after the kill (lease ${LEASE_S} s); all ended ${(allDone / 1000).toFixed(1)} s in; ` +
        `${viewers.length} streams equal the rows`,
    );
  });
});
