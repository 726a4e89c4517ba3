import "server-only";
import { eq, sql } from "drizzle-orm";
import { getDbHandle } from "@/db";
import { attempts, jobs, turns } from "@/db/schema";
import { attachTurnImages, ImageAttachError, refreshTaskStatus } from "@/db/queries/tasks";
import type { Db } from "@/db";
import { AppError, notFound } from "@/lib/errors";
import { notifyJobsQueued } from "@/lib/queue/notify";
import { requireOwnTask } from "./access";

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

/**
 * A follow-up continues one attempt in its own workspace: a new turn (recorded as that attempt's) and one job for
 * it. The attempt is the one the person names — the one on screen; without one (older API clients), the chosen
 * attempt, else the first that succeeded. The other attempts stay as they were and may still be working; the
 * chosen attempt does not change.
 */
export async function addFollowUp({
  userId,
  taskId,
  prompt,
  images = [],
  attemptId,
}: {
  userId: string;
  taskId: string;
  prompt: string;
  images?: string[];
  attemptId?: string;
}) {
  const task = await requireOwnTask({ userId, taskId });
  if (task.archived) throw new AppError("archived", "This task is archived; unarchive it to continue.", 409);
  if (task.mode === "setup") throw new AppError("setup_test", "A setup test has no follow-ups: run Test setup again.", 409);
  const handle = await getDbHandle();
  const result = await handle.db.transaction(async (tx) => {
    const all = await tx.select().from(attempts).where(eq(attempts.taskId, task.id)).for("update");
    let target;
    if (attemptId) {
      target = all.find((a) => a.id === attemptId);
      if (!target) throw notFound("No such attempt.");
    } else {
      if (all.some((a) => !FINAL.includes(a.status))) {
        throw new AppError("task_running", "Wait for the task to finish (or stop it) before sending a follow-up.", 409);
      }
      target = all.find((a) => a.id === task.chosenAttemptId) ?? all.find((a) => a.status === "succeeded") ?? all[0];
    }
    if (!target) throw new AppError("no_attempt", "This task has no attempt to continue.", 409);
    if (!FINAL.includes(target.status)) {
      throw new AppError(
        "attempt_running",
        `Attempt ${target.index + 1} is still working: send it a message instead, or wait for it to finish (or stop it) to follow up.`,
        409,
      );
    }
    const [{ next }] = await tx
      .select({ next: sql<number>`coalesce(max(${turns.seq}), -1) + 1` })
      .from(turns)
      .where(eq(turns.taskId, task.id));
    const seq = Number(next);
    await tx.insert(turns).values({ taskId: task.id, seq, prompt, attemptId: target.id });
    try {
      await attachTurnImages(tx as unknown as Db, { ownerId: userId, taskId: task.id, turn: seq, imageIds: images });
    } catch (err) {
      if (err instanceof ImageAttachError) throw new AppError("bad_image", "An attached image was not found: upload it again.", 400);
      throw err;
    }
    await tx
      .update(attempts)
      .set({ status: "queued", cancelRequested: false, finishedAt: null, errorCode: null, errorMessage: null })
      .where(eq(attempts.id, target.id));
    await tx.insert(jobs).values({ attemptId: target.id, taskId: task.id, ownerId: userId, turn: seq });
    return { attemptId: target.id, turn: seq };
  });
  await refreshTaskStatus(handle.db, task.id);
  await notifyJobsQueued(handle);
  return result;
}
