import "server-only";
import { getDbHandle } from "@/db";
import { insertSteerMessage } from "@/db/queries/steer";
import { findAttempt } from "@/db/queries/tasks";
import { AppError, notFound } from "@/lib/errors";
import { notifySteer } from "@/lib/queue/notify";
import { requireOwnTask } from "./access";

const WORKING = new Set(["queued", "preparing", "setup", "running"]);

/**
 * A message to the attempt on screen while its agent works: kept until the agent's next step, when it joins the
 * conversation (and the log, where it landed). When the attempt is no longer working, the answer says to send a
 * follow-up instead.
 */
export async function steerAttempt({ userId, taskId, attemptId, text }: { userId: string; taskId: string; attemptId: string; text: string }) {
  const task = await requireOwnTask({ userId, taskId });
  const handle = await getDbHandle();
  const db = handle.db;
  const attempt = await findAttempt(db, attemptId);
  if (!attempt || attempt.taskId !== task.id) throw notFound("No such attempt.");
  if (task.engine && task.engine !== "patchbay") {
    throw new AppError("steer_unsupported", "This engine cannot take messages while it works: send a follow-up when it has finished.", 409);
  }
  if (!WORKING.has(attempt.status) || attempt.cancelRequested) {
    throw new AppError("not_working", "The agent is not working any more: send a follow-up instead.", 409);
  }
  const saved = await insertSteerMessage(db, { taskId: task.id, attemptId: attempt.id, turn: attempt.turn, text });
  await notifySteer(handle, attempt.id);
  return { id: saved.id, attemptId: attempt.id, queued: true };
}
