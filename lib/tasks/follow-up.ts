import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { getDbHandle } from "@/db";
import { attempts, jobs, tasks, turns } from "@/db/schema";
import { attachTurnImages, ImageAttachError, refreshTaskStatus } from "@/db/queries/tasks";
import type { Db } from "@/db";
import { AppError } from "@/lib/errors";
import { notifyJobsQueued } from "@/lib/queue/notify";
import { requireOwnTask } from "./access";

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

/**
 * A follow-up continues the chosen attempt in the same workspace: a new turn and one job for that attempt.
 * The other attempts of a Best-of-N task stay as they were.
 */
export async function addFollowUp({ userId, taskId, prompt, images = [] }: { userId: string; taskId: string; prompt: string; images?: string[] }) {
  const task = await requireOwnTask({ userId, taskId });
  if (task.archived) throw new AppError("archived", "This task is archived; unarchive it to continue.", 409);
  if (task.mode === "setup") throw new AppError("setup_test", "A setup test has no follow-ups: run Test setup again.", 409);
  const handle = await getDbHandle();
  const result = await handle.db.transaction(async (tx) => {
    const all = await tx.select().from(attempts).where(eq(attempts.taskId, task.id)).for("update");
    if (all.some((a) => !FINAL.includes(a.status))) {
      throw new AppError("task_running", "Wait for the task to finish (or stop it) before sending a follow-up.", 409);
    }
    const chosen = all.find((a) => a.id === task.chosenAttemptId) ?? all.find((a) => a.status === "succeeded") ?? all[0];
    if (!chosen) throw new AppError("no_attempt", "This task has no attempt to continue.", 409);
    const [{ next }] = await tx
      .select({ next: sql<number>`coalesce(max(${turns.seq}), -1) + 1` })
      .from(turns)
      .where(eq(turns.taskId, task.id));
    const seq = Number(next);
    await tx.insert(turns).values({ taskId: task.id, seq, prompt });
    try {
      await attachTurnImages(tx as unknown as Db, { ownerId: userId, taskId: task.id, turn: seq, imageIds: images });
    } catch (err) {
      if (err instanceof ImageAttachError) throw new AppError("bad_image", "An attached image was not found: upload it again.", 400);
      throw err;
    }
    await tx
      .update(attempts)
      .set({ status: "queued", cancelRequested: false, finishedAt: null, errorCode: null, errorMessage: null })
      .where(and(eq(attempts.id, chosen.id)));
    await tx.insert(jobs).values({ attemptId: chosen.id, taskId: task.id, ownerId: userId, turn: seq });
    await tx.update(tasks).set({ chosenAttemptId: chosen.id, updatedAt: new Date() }).where(eq(tasks.id, task.id));
    return { attemptId: chosen.id, turn: seq };
  });
  await refreshTaskStatus(handle.db, task.id);
  await notifyJobsQueued(handle);
  return result;
}
