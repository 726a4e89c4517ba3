import "server-only";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../client";
import { attempts, taskEvents, tasks } from "../schema";

export type TaskPullRequestFields = {
  prUrl: string;
  prNumber: number;
  prState: string;
  prBranch: string;
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
