import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { AttemptEventWriter } from "@/lib/events/writer";
import { taskEventStream } from "@/lib/events/stream";
import { dbKinds, openTestDb } from "../helpers/db";
import { readSse } from "../helpers/sse";
import { setProcessDb } from "../helpers/stack";

describe.each(dbKinds)("task event stream on %s", (kind) => {
  let db: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    db = await openTestDb(kind);
    setProcessDb(db);
  });
  afterAll(async () => db?.cleanup());

  it("replays, resumes after an id without gaps or repeats, and delivers live appends from two attempts", async () => {
    const [user] = await db.db.insert(users).values({ name: "A" }).returning();
    const { task, attempts } = await insertTaskWithJobs(db.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "t",
      prompt: "p",
      attemptsCount: 2,
    });
    const writers = await Promise.all(attempts.map((a) => AttemptEventWriter.open(db, { taskId: task.id, attemptId: a.id, turn: 0 })));
    for (let i = 0; i < 50; i++) {
      await Promise.all(writers.map((w, n) => w.append("log", { chunkId: "c1", stream: "stdout", text: `a${n} line ${i}\n` })));
    }

    const ctl = new AbortController();
    const all = await readSse(await taskEventStream({ taskId: task.id, afterId: 0, signal: ctl.signal }), (e) => e.length >= 100);
    ctl.abort();
    expect(all).toHaveLength(100);
    const ids = all.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);

    // Resume from the 40th event: exactly the remaining 60, then live events as they are appended.
    const ctl2 = new AbortController();
    const resumed = taskEventStream({ taskId: task.id, afterId: ids[39], signal: ctl2.signal });
    const reading = readSse(await resumed, (e) => e.length >= 64);
    await Promise.all(writers.map((w) => w.append("status", { status: "succeeded" })));
    await Promise.all(writers.map((w) => w.append("message", { text: "done" })));
    const rest = await reading;
    ctl2.abort();
    expect(rest.map((e) => e.id).slice(0, 60)).toEqual(ids.slice(40));
    expect(rest.slice(60).map((e) => e.data.type).sort()).toEqual(["message", "message", "status", "status"]);
    expect(new Set(rest.map((e) => e.id)).size).toBe(rest.length);
  });
});
