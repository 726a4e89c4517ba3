import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAttempt, findTask, insertTaskWithJobs, listAttempts, listTurns } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { subscribeBoard } from "@/lib/events/user-stream";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { getTaskDetail } from "@/lib/tasks/detail";
import { addFollowUp } from "@/lib/tasks/follow-up";
import { setArchived } from "@/lib/tasks/manage";
import { retryAttempt } from "@/lib/tasks/retry";
import { errorOf } from "../pr/helpers";
import { dbKinds, openTestDb } from "../helpers/db";
import { startTestStack, setProcessDb, waitFor, type TestStack } from "../helpers/stack";

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

describe.each(dbKinds)("the task page's actions on %s", (kind) => {
  let handle: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  let alice: string;

  beforeAll(async () => {
    handle = await openTestDb(kind);
    setProcessDb(handle);
    const config = runnerConfigFromEnv(getEnv(), {
      dataDir: stack.dataDir,
      concurrency: 4,
      perUserLimit: 4,
      pollMs: 200,
      heartbeatMs: 200,
      model: { baseURL: stack.model.url, apiKey: "sk-test", model: "fake-codex", apiMode: "responses", timeoutMs: 30_000, maxRetries: 0 },
    });
    runner = await startRunner(handle, config);
    const [a] = await handle.db.insert(users).values({ name: "Alice", githubLogin: "alice", githubId: 1001 }).returning();
    alice = a.id;
  });
  afterAll(async () => {
    await runner?.stop();
    await handle?.cleanup();
  });

  const finished = (attemptId: string, turn = 0) =>
    waitFor(
      async () => {
        const a = await findAttempt(handle.db, attemptId);
        return a && a.turn === turn && FINAL.includes(a.status) ? a : null;
      },
      60_000,
      `attempt ${attemptId} turn ${turn} to finish`,
    );

  // The attempt's final status is written a moment before the task row follows it (its own transaction).
  const settled = (taskId: string) =>
    waitFor(
      async () => {
        const t = await findTask(handle.db, taskId);
        return t && t.finishedAt ? t : null;
      },
      10_000,
      `task ${taskId} to settle`,
    );

  async function bestOf(n: number, prompt: string) {
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: alice,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: prompt,
      prompt,
      attemptsCount: n,
    });
    await handle.notify("patchbay_jobs", "");
    for (const a of attempts) expect((await finished(a.id)).status).toBe("succeeded");
    return { task: await settled(task.id), attempts };
  }

  it("a follow-up continues the attempt named, records the turn as its own, and leaves the chosen attempt alone", async () => {
    const { task, attempts } = await bestOf(2, "Make greet trim the name (follow the viewed one)");
    const other = attempts.find((a) => a.id !== task.chosenAttemptId)!;
    const result = await addFollowUp({ userId: alice, taskId: task.id, prompt: "Also make sum ignore non-numbers", attemptId: other.id });
    expect(result).toEqual({ attemptId: other.id, turn: 1 });
    // While it works, a follow-up to it is refused (a message is what it takes), one to the other attempt is not.
    const busy = await errorOf(addFollowUp({ userId: alice, taskId: task.id, prompt: "Also again", attemptId: other.id }));
    expect(busy).toMatchObject({ code: "attempt_running", status: 409 });
    expect(busy.message).toMatch(/^Attempt \d is still working/);

    const done = await finished(other.id, 1);
    expect(done.diff).toContain("src/sum.js");
    const chosen = (await findAttempt(handle.db, task.chosenAttemptId!))!;
    expect(chosen.turn).toBe(0);
    expect(chosen.diff).not.toContain("src/sum.js");
    expect((await findTask(handle.db, task.id))?.chosenAttemptId).toBe(task.chosenAttemptId);
    expect((await listTurns(handle.db, task.id)).map((t) => [t.seq, t.attemptId])).toEqual([
      [0, null],
      [1, other.id],
    ]);
    const detail = await getTaskDetail({ userId: alice, taskId: task.id, markViewed: false });
    expect(detail.turns.map((t) => t.attemptId)).toEqual([null, other.id]);
  });

  it("retry adds an attempt from the first prompt; the retried one stays; the board hears of it", async () => {
    const { task, attempts } = await bestOf(1, "Make greet trim the name (retry me)");
    const heard: string[] = [];
    const leave = await subscribeBoard(handle, alice, (id) => heard.push(id));
    try {
      const { attempt } = await retryAttempt({ userId: alice, taskId: task.id, attemptId: attempts[0].id });
      expect(attempt).toMatchObject({ index: 1, status: "queued", retryOf: attempts[0].id });
      const done = await finished(attempt.id);
      expect(done.status).toBe("succeeded");
      expect(done.diff).toBe((await findAttempt(handle.db, attempts[0].id))!.diff);
      expect(await listAttempts(handle.db, task.id)).toHaveLength(2);
      expect((await findTask(handle.db, task.id))?.attemptsCount).toBe(2);
      // Every status change of the task reached the person's board channel (queued, preparing, …, succeeded).
      await waitFor(async () => heard.filter((id) => id === task.id).length >= 3, 10_000, "board notifications");
      await setArchived({ userId: alice, taskId: task.id, archived: true });
      await waitFor(async () => (await findTask(handle.db, task.id))?.archived === true, 5_000, "archived");
    } finally {
      leave();
    }
    expect(await errorOf(retryAttempt({ userId: alice, taskId: task.id }))).toMatchObject({ code: "archived", status: 409 });
    const missing = "00000000-0000-4000-8000-000000000000";
    const [bob] = await handle.db.insert(users).values({ name: "Bob", githubLogin: `bob-${kind}` }).returning();
    expect(await errorOf(retryAttempt({ userId: bob.id, taskId: task.id }))).toMatchObject({ status: 404 });
    expect(await errorOf(retryAttempt({ userId: alice, taskId: missing }))).toMatchObject({ status: 404 });
  });

  it("the task's worked time is the agent's, not the queue's or the wait between turns", async () => {
    const { task } = await bestOf(1, "Make greet trim the name (worked time)");
    const worked = (await findTask(handle.db, task.id))!.workedMs;
    expect(worked).toBeGreaterThan(0);
    const wall = task.finishedAt!.getTime() - task.createdAt.getTime();
    expect(worked).toBeLessThanOrEqual(wall);
    // A follow-up a while later adds its own working time only.
    await new Promise((r) => setTimeout(r, 1500));
    await addFollowUp({ userId: alice, taskId: task.id, prompt: "Also make sum ignore non-numbers" });
    await finished(task.chosenAttemptId!, 1);
    const after = await settled(task.id);
    expect(after.workedMs).toBeGreaterThan(worked);
    expect(after.workedMs).toBeLessThan(after.finishedAt!.getTime() - task.createdAt.getTime() - 1500);
  });
});
