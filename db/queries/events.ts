import "server-only";
import { and, asc, desc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { taskEvents, type TaskEventType } from "../schema";

export type TaskEventRow = typeof taskEvents.$inferSelect;
export type NewTaskEvent = {
  taskId: string;
  attemptId: string;
  seq: number;
  turn: number;
  type: TaskEventType;
  payload: Record<string, unknown>;
};

/**
 * Appends events of ONE task. The per-task advisory lock makes ids commit in the order they were drawn, so a
 * reader resuming after id N never misses an event that committed late with a smaller id (attempts of a task
 * may be written by different runners at once). `serialized`: the database runs one statement at a time (PGlite);
 * then the rows written are returned (null otherwise).
 */
export async function insertEvents(db: Db, taskId: string, events: NewTaskEvent[], opts: { serialized?: boolean } = {}): Promise<TaskEventRow[] | null> {
  if (events.length === 0) return [];
  // One database connection for everything (PGlite): statements run one at a time, so a single INSERT's ids commit
  // in order by themselves; the transaction and lock would be three more round trips of each flush. Its rows come
  // back, for this process's readers (lib/events/feed.ts) to take without reading them again.
  if (opts.serialized) return db.insert(taskEvents).values(events).returning();
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${taskId}))`);
    await tx.insert(taskEvents).values(events);
  });
  return null;
}

/** Events of a task after an id, in id order. */
export async function listTaskEventsAfter(db: Db, taskId: string, afterId: number, limit = 1000): Promise<TaskEventRow[]> {
  return db
    .select()
    .from(taskEvents)
    .where(and(eq(taskEvents.taskId, taskId), gt(taskEvents.id, afterId)))
    .orderBy(asc(taskEvents.id))
    .limit(limit);
}

/** The newest `limit` events of a task, in id order. */
export async function listRecentTaskEvents(db: Db, taskId: string, limit: number): Promise<TaskEventRow[]> {
  const rows = await db.select().from(taskEvents).where(eq(taskEvents.taskId, taskId)).orderBy(desc(taskEvents.id)).limit(limit);
  return rows.reverse();
}

export async function listAttemptEvents(db: Db, attemptId: string): Promise<TaskEventRow[]> {
  return db.select().from(taskEvents).where(eq(taskEvents.attemptId, attemptId)).orderBy(asc(taskEvents.seq));
}

export async function maxTaskEventId(db: Db, taskId: string): Promise<number> {
  const [row] = await db
    .select({ max: sql<number | null>`max(${taskEvents.id})` })
    .from(taskEvents)
    .where(eq(taskEvents.taskId, taskId));
  return Number(row?.max ?? 0);
}
