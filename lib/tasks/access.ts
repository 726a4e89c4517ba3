import "server-only";
import { getDb } from "@/db";
import { findTaskOfOwner, type TaskRow } from "@/db/queries/tasks";
import { notFound } from "@/lib/errors";

/** The user's task, or a 404 — a task that exists but belongs to someone else is indistinguishable from none. */
export async function requireOwnTask({ userId, taskId }: { userId: string; taskId: string }): Promise<TaskRow> {
  const task = await findTaskOfOwner(await getDb(), taskId, userId);
  if (!task) throw notFound("No such task.");
  return task;
}
