import "server-only";
import { getDb } from "@/db";
import { setTaskFields } from "@/db/queries/board";
import { findTaskOfOwner, listAttempts, listTurns } from "@/db/queries/tasks";
import { turnImageIds } from "@/lib/images/images";
import { publicMessage } from "@/lib/public-message";
import { requireOwnTask } from "./access";

/** Everything the task page needs but the event log and the diffs (those stream or load on demand). */
export async function getTaskDetail({ userId, taskId, markViewed = true }: { userId: string; taskId: string; markViewed?: boolean }) {
  const task = await requireOwnTask({ userId, taskId });
  const db = await getDb();
  const [attempts, turns, imageIds] = await Promise.all([listAttempts(db, task.id), listTurns(db, task.id), turnImageIds(db, task.id)]);
  if (markViewed) await setTaskFields(db, task.id, { lastViewedAt: new Date() });
  return {
    task: {
      id: task.id,
      title: task.title,
      prompt: task.prompt,
      repoFullName: task.repoFullName,
      baseBranch: task.baseBranch,
      mode: task.mode,
      status: task.status,
      archived: task.archived,
      attemptsCount: task.attemptsCount,
      chosenAttemptId: task.chosenAttemptId,
      diffStats: task.diffStats,
      prUrl: task.prUrl,
      prNumber: task.prNumber,
      prState: task.prState,
      prBranch: task.prBranch,
      prBase: task.prBase,
      workedMs: task.workedMs,
      engine: task.engine,
      createdAt: task.createdAt,
      updatedAt: task.updatedAt,
      finishedAt: task.finishedAt,
    },
    attempts: attempts.map((a) => ({
      id: a.id,
      index: a.index,
      status: a.status,
      turn: a.turn,
      baseCommit: a.baseCommit,
      branchName: a.branchName,
      diffStats: a.diffStats,
      hasDiff: Boolean(a.diff),
      errorCode: a.errorCode,
      errorMessage: a.errorMessage === null ? null : publicMessage(a.errorMessage),
      inputTokens: a.inputTokens,
      outputTokens: a.outputTokens,
      cachedInputTokens: a.cachedInputTokens,
      reasoningTokens: a.reasoningTokens,
      costUsd: a.costUsd,
      retryOf: a.retryOf,
      prTurn: a.prTurn,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt,
    })),
    // Each turn's attached images (GET /api/images/<id>), and the attempt a follow-up continued (null: every attempt).
    turns: turns.map((t) => ({ seq: t.seq, prompt: t.prompt, createdAt: t.createdAt, images: imageIds[t.seq] ?? [], attemptId: t.attemptId })),
  };
}
export type TaskDetail = Awaited<ReturnType<typeof getTaskDetail>>;

/** The task's title for the page's <title>, or null when it is not the user's. */
export async function getTaskTitle({ userId, taskId }: { userId: string; taskId: string }): Promise<string | null> {
  const task = await findTaskOfOwner(await getDb(), taskId, userId);
  return task?.title ?? null;
}
