import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertEvents, type NewTaskEvent } from "@/db/queries/events";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { joinTaskFeed } from "@/lib/events/feed";
import { AttemptEventWriter } from "@/lib/events/writer";
import { dbKinds, openTestDb } from "../helpers/db";

/** A viewer of the feed: the ids it was sent, in order, and the chunks themselves. */
function viewer() {
  const decoder = new TextDecoder();
  const ids: number[] = [];
  const chunks: Uint8Array[] = [];
  return {
    ids,
    chunks,
    send(bytes: Uint8Array) {
      chunks.push(bytes);
      for (const m of decoder.decode(bytes).matchAll(/^id: (\d+)$/gm)) ids.push(Number(m[1]));
    },
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(dbKinds)("task feed on %s", (kind) => {
  let db: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    db = await openTestDb(kind);
  });
  afterAll(async () => db?.cleanup());

  async function newTask() {
    const [user] = await db.db.insert(users).values({ name: "V" }).returning();
    const { task, attempts } = await insertTaskWithJobs(db.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "t",
      prompt: "p",
      attemptsCount: 1,
    });
    return { taskId: task.id, attemptId: attempts[0].id };
  }

  /** `count` log events written straight to the table (no wake-up): a task's history before anyone watched. */
  async function seed(taskId: string, attemptId: string, count: number): Promise<number[]> {
    for (let from = 0; from < count; from += 500) {
      const batch: NewTaskEvent[] = [];
      for (let i = from; i < Math.min(count, from + 500); i++) {
        batch.push({ taskId, attemptId, turn: 0, seq: i + 1, type: "log", payload: { chunkId: "c1", stream: "stdout", text: `line ${i}\n` } });
      }
      await insertEvents(db.db, taskId, batch);
    }
    const rows = await db.db.query.taskEvents.findMany({ where: (t, { eq }) => eq(t.taskId, taskId), orderBy: (t, { asc }) => asc(t.id) });
    return rows.map((r) => r.id);
  }

  it("a viewer far behind the kept tail reads older pages, then the tail, then live events: each once, in order", async () => {
    const { taskId, attemptId } = await newTask();
    const history = await seed(taskId, attemptId, 4_600);
    const fromStart = viewer();
    const fromMiddle = viewer();
    const leaveStart = await joinTaskFeed(db, taskId, 0, fromStart.send);
    const leaveMiddle = await joinTaskFeed(db, taskId, history[3_999], fromMiddle.send);
    expect(fromStart.ids).toEqual(history);
    expect(fromMiddle.ids).toEqual(history.slice(4_000));

    const writer = await AttemptEventWriter.open(db, { taskId, attemptId, turn: 0 });
    for (let i = 0; i < 5; i++) await writer.append("status", { status: `s${i}` });
    await until(() => fromStart.ids.length === 4_605 && fromMiddle.ids.length === 605, "live events");
    expect(fromMiddle.ids).toEqual(fromStart.ids.slice(4_000));
    leaveStart();
    leaveMiddle();
  });

  it("viewers joining while events are written see every event once, in order, sharing the same bytes", async () => {
    const { taskId, attemptId } = await newTask();
    await seed(taskId, attemptId, 50);
    const writer = await AttemptEventWriter.open(db, { taskId, attemptId, turn: 0 });
    const viewers: ReturnType<typeof viewer>[] = [];
    const leaves: (() => void)[] = [];
    const writing = (async () => {
      for (let i = 0; i < 60; i++) await writer.append("plan", { explanation: `e${i}`, plan: [] });
    })();
    for (let i = 0; i < 12; i++) {
      const v = viewer();
      viewers.push(v);
      leaves.push(await joinTaskFeed(db, taskId, 0, v.send));
      await new Promise((r) => setTimeout(r, 3));
    }
    await writing;
    await until(() => viewers.every((v) => v.ids.length === 110), "every viewer to have all 110 events");
    for (const v of viewers) {
      expect(v.ids).toEqual(viewers[0].ids);
      for (let i = 1; i < v.ids.length; i++) expect(v.ids[i]).toBeGreaterThan(v.ids[i - 1]);
    }
    // A live event reaches every viewer as one shared chunk, serialised once.
    const before = viewers.map((v) => v.chunks.length);
    await writer.append("message", { text: "done" });
    await until(() => viewers.every((v, i) => v.chunks.length === before[i] + 1), "the last event");
    for (const v of viewers) expect(v.chunks.at(-1)).toBe(viewers[0].chunks.at(-1));
    for (const leave of leaves) leave();
  });

  it("rows written without a wake-up are not skipped when a writer then hands its own rows over", async () => {
    const { taskId, attemptId } = await newTask();
    const v = viewer();
    const leave = await joinTaskFeed(db, taskId, 0, v.send);
    const writer = await AttemptEventWriter.open(db, { taskId, attemptId, turn: 0 });
    await writer.append("status", { status: "preparing" });
    await until(() => v.ids.length === 1, "the first event");
    // Behind the feed's back (no wake-up): two rows of the attempt; a writer opened after them starts past them.
    for (const [seq, text] of [[1, "a"], [2, "b"]] as const) {
      await insertEvents(db.db, taskId, [{ taskId, attemptId, turn: 0, seq, type: "log", payload: { chunkId: "c1", stream: "stdout", text } }]);
    }
    const late = await AttemptEventWriter.open(db, { taskId, attemptId, turn: 0 });
    await late.append("status", { status: "running" });
    await late.append("status", { status: "finalizing" });
    await until(() => v.ids.length === 5, "all five events");
    const rows = await db.db.query.taskEvents.findMany({ where: (t, { eq }) => eq(t.taskId, taskId), orderBy: (t, { asc }) => asc(t.id) });
    expect(v.ids).toEqual(rows.map((r) => r.id));
    leave();
  });
});
