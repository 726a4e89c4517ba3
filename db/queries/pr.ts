import "server-only";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../client";
import { attempts, taskEvents, tasks } from "../schema";

export type TaskPullRequestFields = {
  prUrl: string;
  prNumber: number;
  prState: string;
  prBranch: string;
  /** The branch the pull request merges into. */
  prBase?: string;
};

/** The agent's final messages and its commands (start and end) for one attempt, across every turn, in order. */
export async function listMessagesAndCommands(db: Db, attemptId: string) {
  return db
    .select({ seq: taskEvents.seq, turn: taskEvents.turn, type: taskEvents.type, payload: taskEvents.payload })
    .from(taskEvents)
    .where(and(eq(taskEvents.attemptId, attemptId), inArray(taskEvents.type, ["message", "command"])))
    .orderBy(asc(taskEvents.seq));
}

export async function setTaskPullRequest(db: Db, taskId: string, fields: TaskPullRequestFields) {
  const [row] = await db
    .update(tasks)
    .set({ ...fields, updatedAt: new Date() })
    .where(eq(tasks.id, taskId))
    .returning();
  return row ?? null;
}

export async function setTaskPullRequestState(db: Db, taskId: string, prState: string) {
  await db.update(tasks).set({ prState, updatedAt: new Date() }).where(eq(tasks.id, taskId));
}

/** Records the branch and commit Patchbay made for an attempt (before pushing, so a retry finds them). */
export async function setAttemptBranch(db: Db, attemptId: string, branchName: string, headCommit: string) {
  await db.update(attempts).set({ branchName, headCommit }).where(eq(attempts.id, attemptId));
}

/** The latest turn of the attempt whose changes are on the pull request's branch (the next commit starts after it). */
export async function setAttemptPrTurn(db: Db, attemptId: string, turn: number) {
  await db.update(attempts).set({ prTurn: turn }).where(eq(attempts.id, attemptId));
}

/** The person opened the pull request from this attempt: it is the task's chosen attempt from now on. */
export async function chooseAttemptOf(db: Db, taskId: string, attemptId: string) {
  const [a] = await db.select({ diffStats: attempts.diffStats }).from(attempts).where(eq(attempts.id, attemptId)).limit(1);
  await db.update(tasks).set({ chosenAttemptId: attemptId, diffStats: a?.diffStats ?? null, updatedAt: new Date() }).where(eq(tasks.id, taskId));
}
