import "server-only";
import { getDbHandle } from "@/db";
import { cancelQueuedJobs } from "@/db/queries/jobs";
import { listAttempts, refreshTaskStatus, updateAttempt } from "@/db/queries/tasks";
import { notFound } from "@/lib/errors";
import { AttemptEventWriter } from "@/lib/events/writer";
import { notifyCancel } from "@/lib/queue/notify";
import { requireOwnTask } from "./access";

const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/**
 * Stops a task, or only the attempt named (Best-of-N: one attempt stopped, the others keep working): attempts
 * still queued end as cancelled here; running ones are flagged and their runner is told, which kills the running
 * command and ends the loop (it also sees the flag on its next heartbeat).
 */
export async function cancelTask({ userId, taskId, attemptId }: { userId: string; taskId: string; attemptId?: string }) {
  const task = await requireOwnTask({ userId, taskId });
  const handle = await getDbHandle();
  const all = await listAttempts(handle.db, task.id);
  if (attemptId && !all.some((a) => a.id === attemptId)) throw notFound("No such attempt.");
  const live = all.filter((a) => !FINAL.has(a.status) && (!attemptId || a.id === attemptId));
  const neverStarted = new Set(await cancelQueuedJobs(handle.db, live.map((a) => a.id)));
  for (const attempt of live) {
    if (neverStarted.has(attempt.id) && attempt.status === "queued") {
      await updateAttempt(handle.db, attempt.id, { status: "cancelled", cancelRequested: true, finishedAt: new Date() });
      const events = await AttemptEventWriter.open(handle, { taskId: task.id, attemptId: attempt.id, turn: attempt.turn });
      await events.append("status", { status: "cancelled", reason: "Stopped before it started." });
    } else {
      await updateAttempt(handle.db, attempt.id, { cancelRequested: true });
      await notifyCancel(handle, attempt.id);
    }
  }
  await refreshTaskStatus(handle.db, task.id);
  return { cancelled: live.length };
}
