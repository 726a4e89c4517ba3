import "server-only";
import { eq } from "drizzle-orm";
import { getDbHandle } from "@/db";
import { refreshTaskStatus } from "@/db/queries/tasks";
import { attempts, jobs, tasks } from "@/db/schema";
import { AppError, notFound } from "@/lib/errors";
import { notifyJobsQueued } from "@/lib/queue/notify";
import { requireOwnTask } from "./access";

/** Best-of-N starts with at most 4 attempts; retries may add a few more. */
export const MAX_ATTEMPTS_PER_TASK = 8;

/**
 * Retry: a new attempt of the same task, from the first prompt (and its images) on the task's branch, queued like
 * the others. The attempt it retries (failed, stopped, or just not good enough) stays as it was, to compare.
 */
export async function retryAttempt({ userId, taskId, attemptId }: { userId: string; taskId: string; attemptId?: string }) {
  const task = await requireOwnTask({ userId, taskId });
  if (task.archived) throw new AppError("archived", "This task is archived; unarchive it to retry.", 409);
  if (task.mode === "setup") throw new AppError("setup_test", "A setup test cannot be retried here: run Test setup again.", 409);
  const handle = await getDbHandle();
  const created = await handle.db.transaction(async (tx) => {
    await tx.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, task.id)).for("update");
    const all = await tx.select({ id: attempts.id, index: attempts.index }).from(attempts).where(eq(attempts.taskId, task.id));
    if (attemptId && !all.some((a) => a.id === attemptId)) throw notFound("No such attempt.");
    if (all.length >= MAX_ATTEMPTS_PER_TASK) {
      throw new AppError("too_many_attempts", `A task has at most ${MAX_ATTEMPTS_PER_TASK} attempts: start a new task instead.`, 409);
    }
    const index = Math.max(-1, ...all.map((a) => a.index)) + 1;
    const [row] = await tx.insert(attempts).values({ taskId: task.id, index, retryOf: attemptId ?? null }).returning();
    await tx.insert(jobs).values({ attemptId: row.id, taskId: task.id, ownerId: userId, turn: 0 });
    await tx
      .update(tasks)
      .set({ attemptsCount: all.length + 1, updatedAt: new Date() })
      .where(eq(tasks.id, task.id));
    return row;
  });
  await refreshTaskStatus(handle.db, task.id);
  await notifyJobsQueued(handle);
  return { attempt: { id: created.id, index: created.index, status: created.status, retryOf: created.retryOf } };
}
