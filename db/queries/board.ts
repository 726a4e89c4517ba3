import "server-only";
import { and, desc, eq, ilike, inArray, lt, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { attempts, tasks, type TaskStatus } from "../schema";

export type BoardFilter = {
  ownerId: string;
  archived: boolean;
  repo?: string;
  status?: TaskStatus;
  q?: string;
  cursor?: { createdAt: Date; id: string };
  limit: number;
};

/**
 * One page of the board, newest first, by keyset (created_at, id) so page N costs the same as page 1 with
 * 10,000 tasks. Each row carries its attempts' statuses for the row's badges.
 */
export async function listBoardTasks(db: Db, f: BoardFilter) {
  const where: SQL[] = [eq(tasks.ownerId, f.ownerId), eq(tasks.archived, f.archived), ne(tasks.mode, "setup")];
  if (f.repo) where.push(eq(tasks.repoFullName, f.repo));
  if (f.status) where.push(eq(tasks.status, f.status));
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(or(ilike(tasks.title, like), ilike(tasks.prompt, like))!);
  }
  if (f.cursor) {
    where.push(
      or(lt(tasks.createdAt, f.cursor.createdAt), and(eq(tasks.createdAt, f.cursor.createdAt), lt(tasks.id, f.cursor.id)))!,
    );
  }
  const rows = await db
    .select({
      id: tasks.id,
      title: tasks.title,
      repoFullName: tasks.repoFullName,
      baseBranch: tasks.baseBranch,
      mode: tasks.mode,
      status: tasks.status,
      archived: tasks.archived,
      attemptsCount: tasks.attemptsCount,
      diffStats: tasks.diffStats,
      prUrl: tasks.prUrl,
      prNumber: tasks.prNumber,
      prState: tasks.prState,
      createdAt: tasks.createdAt,
      updatedAt: tasks.updatedAt,
      finishedAt: tasks.finishedAt,
      lastViewedAt: tasks.lastViewedAt,
      workedMs: tasks.workedMs,
    })
    .from(tasks)
    .where(and(...where))
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const ids = page.map((r) => r.id);
  const attemptRows = ids.length
    ? await db
        .select({ taskId: attempts.taskId, index: attempts.index, status: attempts.status })
        .from(attempts)
        .where(inArray(attempts.taskId, ids))
    : [];
  const byTask = new Map<string, { index: number; status: string }[]>();
  for (const a of attemptRows) {
    const list = byTask.get(a.taskId) ?? [];
    list.push({ index: a.index, status: a.status });
    byTask.set(a.taskId, list);
  }
  return {
    tasks: page.map((r) => ({ ...r, attempts: (byTask.get(r.id) ?? []).sort((a, b) => a.index - b.index) })),
    hasMore: rows.length > f.limit,
  };
}

export async function listOwnerRepos(db: Db, ownerId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ repo: tasks.repoFullName })
    .from(tasks)
    .where(and(eq(tasks.ownerId, ownerId), ne(tasks.mode, "setup")))
    .orderBy(tasks.repoFullName);
  return rows.map((r) => r.repo);
}

export async function setTaskFields(db: Db, taskId: string, patch: Partial<typeof tasks.$inferInsert>) {
  const [row] = await db.update(tasks).set(patch).where(eq(tasks.id, taskId)).returning();
  return row ?? null;
}

export async function deleteTaskRow(db: Db, taskId: string) {
  await db.delete(tasks).where(eq(tasks.id, taskId));
}

export async function countRunningAttempts(db: Db, taskId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(attempts)
    .where(and(eq(attempts.taskId, taskId), inArray(attempts.status, ["queued", "preparing", "setup", "running", "finalizing"])));
  return Number(row?.n ?? 0);
}
