import "server-only";
import { getDbHandle } from "@/db";
import { countRunningAttempts, deleteTaskRow, setTaskFields } from "@/db/queries/board";
import { findAttempt, listAttempts, refreshTaskStatus } from "@/db/queries/tasks";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { publishBoardChange } from "@/lib/events/user-stream";
import { attemptWorkspace, removeWorkspace } from "@/lib/runner/workspace";
import { requireOwnTask } from "./access";
import { cancelTask } from "./cancel";

const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/**
 * Frees the workspaces of the task's finished attempts. A running one (just told to stop) is never pulled from
 * under its runner: the runner releases its turn's volume when it stops, the reaper the rest once the row is gone.
 */
async function removeWorkspaces(taskId: string) {
  const { db } = await getDbHandle();
  const dataDir = getEnv().dataDir;
  for (const a of await listAttempts(db, taskId)) {
    if (FINAL.has(a.status)) await removeWorkspace(attemptWorkspace(dataDir, a.id));
  }
}

/** Archiving frees the attempts' workspaces (their diffs stay); a running task is stopped first. */
export async function setArchived({ userId, taskId, archived }: { userId: string; taskId: string; archived: boolean }) {
  const task = await requireOwnTask({ userId, taskId });
  const handle = await getDbHandle();
  const { db } = handle;
  if (archived && (await countRunningAttempts(db, task.id)) > 0) await cancelTask({ userId, taskId });
  await setTaskFields(db, task.id, { archived, updatedAt: new Date() });
  await publishBoardChange(handle, task.ownerId, task.id);
  if (archived) await removeWorkspaces(task.id);
}

export async function deleteTask({ userId, taskId }: { userId: string; taskId: string }) {
  const task = await requireOwnTask({ userId, taskId });
  const handle = await getDbHandle();
  const { db } = handle;
  if ((await countRunningAttempts(db, task.id)) > 0) await cancelTask({ userId, taskId });
  await removeWorkspaces(task.id);
  await deleteTaskRow(db, task.id);
  await publishBoardChange(handle, task.ownerId, task.id);
}

export async function chooseAttempt({ userId, taskId, attemptId }: { userId: string; taskId: string; attemptId: string }) {
  const task = await requireOwnTask({ userId, taskId });
  const { db } = await getDbHandle();
  const attempt = await findAttempt(db, attemptId);
  if (!attempt || attempt.taskId !== task.id) throw new AppError("not_found", "No such attempt.", 404);
  await setTaskFields(db, task.id, { chosenAttemptId: attempt.id, diffStats: attempt.diffStats, updatedAt: new Date() });
  await refreshTaskStatus(db, task.id);
}
