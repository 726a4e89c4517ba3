import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, eq, gte, inArray, isNull, sql } from "drizzle-orm";
import type { EngineName } from "../../lib/engines/names";
import { BOARD_CHANNEL, boardPayload } from "../../lib/events/board-channel";
import type { Db } from "../client";
import { attempts, images, jobs, taskEvents, tasks, turns, type AttemptStatus, type DiffStats, type TaskMode, type TaskStatus } from "../schema";

export type TaskRow = typeof tasks.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;
export type TurnRow = typeof turns.$inferSelect;

export type NewTaskInput = {
  ownerId: string;
  environmentId?: string;
  repoFullName: string;
  baseBranch: string;
  mode: TaskMode;
  title: string;
  prompt: string;
  attemptsCount: number;
  /** The engine that works the task (default: the column's, the Patchbay agent). */
  engine?: EngineName;
  /** Uploaded images of the owner to attach to the first turn (attached in the same transaction as the jobs). */
  imageIds?: string[];
};

/** Inserts the task, its first turn, one attempt per Best-of-N slot and one queued job per attempt, atomically. */
export async function insertTaskWithJobs(db: Db, input: NewTaskInput) {
  return db.transaction(async (tx) => {
    const { imageIds = [], ...values } = input;
    // The ids are drawn here, so that the four inserts need not wait for one another: each is sent when its `then`
    // is called, in this order (the rows it refers to first), and the request waits for one round trip, not four.
    const taskId = randomUUID();
    const attemptIds = Array.from({ length: input.attemptsCount }, () => randomUUID());
    const task = tx
      .insert(tasks)
      .values({ ...values, id: taskId })
      .returning()
      .then((rows) => rows[0]);
    const turn = tx.insert(turns).values({ taskId, seq: 0, prompt: input.prompt }).then(() => undefined);
    const attemptRows = tx
      .insert(attempts)
      .values(attemptIds.map((id, index) => ({ id, taskId, index })))
      .returning()
      .then((rows) => rows);
    const queued = tx
      .insert(jobs)
      .values(attemptIds.map((attemptId) => ({ attemptId, taskId, ownerId: input.ownerId, turn: 0 })))
      .then(() => undefined);
    const [row, , rows] = await Promise.all([task, turn, attemptRows, queued]);
    await attachTurnImages(tx as unknown as Db, { ownerId: input.ownerId, taskId, turn: 0, imageIds });
    return { task: row, attempts: rows };
  });
}

export async function findTaskOfOwner(db: Db, taskId: string, ownerId: string): Promise<TaskRow | null> {
  const [row] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.id, taskId), eq(tasks.ownerId, ownerId)))
    .limit(1);
  return row ?? null;
}

export async function findTask(db: Db, taskId: string): Promise<TaskRow | null> {
  const [row] = await db.select().from(tasks).where(eq(tasks.id, taskId)).limit(1);
  return row ?? null;
}

export async function listAttempts(db: Db, taskId: string): Promise<AttemptRow[]> {
  return db.select().from(attempts).where(eq(attempts.taskId, taskId)).orderBy(asc(attempts.index));
}

export async function findAttempt(db: Db, attemptId: string): Promise<AttemptRow | null> {
  const [row] = await db.select().from(attempts).where(eq(attempts.id, attemptId)).limit(1);
  return row ?? null;
}

export async function listTurns(db: Db, taskId: string): Promise<TurnRow[]> {
  return db.select().from(turns).where(eq(turns.taskId, taskId)).orderBy(asc(turns.seq));
}

export async function updateAttempt(db: Db, attemptId: string, patch: Partial<typeof attempts.$inferInsert>) {
  const [row] = await db.update(attempts).set(patch).where(eq(attempts.id, attemptId)).returning();
  return row ?? null;
}

export async function setAttemptStatus(db: Db, attemptId: string, status: AttemptStatus) {
  return updateAttempt(db, attemptId, { status });
}

const ACTIVE: AttemptStatus[] = ["preparing", "setup", "running", "finalizing"];

/** A task's status follows its attempts: running while any works, then the best outcome among them. */
export function deriveTaskStatus(statuses: AttemptStatus[]): TaskStatus {
  if (statuses.some((s) => ACTIVE.includes(s))) return "running";
  if (statuses.some((s) => s === "queued")) return statuses.every((s) => s === "queued") ? "queued" : "running";
  if (statuses.some((s) => s === "succeeded")) return "succeeded";
  if (statuses.length > 0 && statuses.every((s) => s === "cancelled")) return "cancelled";
  return "failed";
}

/**
 * Recomputes the task's status from its attempts. The task row is locked first so that concurrent refreshes
 * (a runner finishing, a person cancelling) apply in order, each reading the attempts as committed after the lock.
 */
export async function refreshTaskStatus(db: Db, taskId: string): Promise<TaskStatus> {
  return db.transaction(async (tx) => {
    const [locked] = await tx.select({ id: tasks.id, ownerId: tasks.ownerId }).from(tasks).where(eq(tasks.id, taskId)).for("update");
    const rows = await tx.select().from(attempts).where(eq(attempts.taskId, taskId)).orderBy(asc(attempts.index));
    const status = deriveTaskStatus(rows.map((a) => a.status));
    const finished = !["running", "queued"].includes(status);
    const chosen = rows.find((a) => a.status === "succeeded") ?? rows[0];
    const diffStats: DiffStats | null = chosen?.diffStats ?? null;
    await tx
      .update(tasks)
      .set({
        status,
        updatedAt: new Date(),
        finishedAt: finished ? new Date() : null,
        diffStats,
        // The first attempt to succeed is chosen unless the person already chose one.
        chosenAttemptId: sql`coalesce(${tasks.chosenAttemptId}, ${chosen?.status === "succeeded" ? chosen.id : null}::uuid)`,
        ...(finished ? { workedMs: await workedMs(tx as unknown as Db, taskId) } : {}),
      })
      .where(eq(tasks.id, taskId));
    // Delivered when the transaction commits: the person's open boards read the task again.
    if (locked) await tx.execute(sql`select pg_notify(${BOARD_CHANNEL}, ${boardPayload(locked.ownerId, taskId)})`);
    return status;
  });
}

/**
 * How long the agent worked on the task: for each turn, from the first step of any attempt (preparing) to the end of
 * the last one, summed over turns. Queue time and the hours between a turn and its follow-up do not count.
 */
export async function workedMs(db: Db, taskId: string): Promise<number> {
  const spans = db
    .select({
      turn: taskEvents.turn,
      first: sql<Date>`min(${taskEvents.createdAt})`.as("first"),
      last: sql<Date>`max(${taskEvents.createdAt})`.as("last"),
    })
    .from(taskEvents)
    .where(and(eq(taskEvents.taskId, taskId), eq(taskEvents.type, "status")))
    .groupBy(taskEvents.turn)
    .as("spans");
  const [row] = await db.select({ ms: sql<number>`coalesce(sum(extract(epoch from (${spans.last} - ${spans.first})) * 1000), 0)` }).from(spans);
  return Math.round(Number(row?.ms ?? 0));
}

export async function maxEventSeq(db: Db, attemptId: string): Promise<number> {
  const [row] = await db
    .select({ max: sql<number | null>`max(${taskEvents.seq})` })
    .from(taskEvents)
    .where(eq(taskEvents.attemptId, attemptId));
  return Number(row?.max ?? -1);
}

/** A person's model usage: tokens and cost of their attempts since `since` (all of them when null). */
export async function usageOfOwner(db: Db, ownerId: string, since: Date | null) {
  const [row] = await db
    .select({
      attempts: sql<number>`count(*)::int`,
      inputTokens: sql<number>`coalesce(sum(${attempts.inputTokens}), 0)::bigint`,
      cachedInputTokens: sql<number>`coalesce(sum(${attempts.cachedInputTokens}), 0)::bigint`,
      outputTokens: sql<number>`coalesce(sum(${attempts.outputTokens}), 0)::bigint`,
      reasoningTokens: sql<number>`coalesce(sum(${attempts.reasoningTokens}), 0)::bigint`,
      costUsd: sql<number | null>`sum(${attempts.costUsd})`,
    })
    .from(attempts)
    .innerJoin(tasks, eq(tasks.id, attempts.taskId))
    .where(since ? and(eq(tasks.ownerId, ownerId), gte(attempts.queuedAt, since)) : eq(tasks.ownerId, ownerId));
  return {
    attempts: Number(row?.attempts ?? 0),
    inputTokens: Number(row?.inputTokens ?? 0),
    cachedInputTokens: Number(row?.cachedInputTokens ?? 0),
    outputTokens: Number(row?.outputTokens ?? 0),
    reasoningTokens: Number(row?.reasoningTokens ?? 0),
    costUsd: row?.costUsd === null || row?.costUsd === undefined ? null : Number(row.costUsd),
  };
}

/**
 * Attaches the owner's uploaded images to a turn, in order (before any job of the turn can be claimed: call it in
 * the transaction that queues them). Each must be the owner's and not attached yet, else nothing is attached.
 */
export async function attachTurnImages(db: Db, opts: { ownerId: string; taskId: string; turn: number; imageIds: string[] }): Promise<void> {
  if (opts.imageIds.length === 0) return;
  const ids = [...new Set(opts.imageIds)];
  const rows = await db
    .update(images)
    .set({ taskId: opts.taskId, turn: opts.turn })
    .where(and(inArray(images.id, ids), eq(images.ownerId, opts.ownerId), isNull(images.taskId)))
    .returning({ id: images.id });
  if (rows.length !== ids.length) throw new ImageAttachError();
  for (const [position, id] of ids.entries()) await db.update(images).set({ position }).where(eq(images.id, id));
}

export class ImageAttachError extends Error {
  constructor() {
    super("an attached image is not the owner's, or was attached already");
    this.name = "ImageAttachError";
  }
}
