import "server-only";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { attempts, jobs } from "../schema";

export type JobRow = typeof jobs.$inferSelect;

/**
 * Claims the oldest queued job whose owner is under the per-user limit. Claims take one transaction-scoped
 * advisory lock so that two runners never both see room under a user's limit; claiming is rare next to the work.
 * A job whose lease lapsed (its runner died) no longer counts against the limit, even before the sweeper ends it.
 */
export async function claimJob(
  db: Db,
  opts: { runnerId: string; leaseMs: number; perUserLimit: number },
): Promise<JobRow | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7061636862617900)`);
    const picked = await tx.execute<{ id: string }>(sql`
      select j.id from ${jobs} j
      where j.status = 'queued'
        and (select count(*) from ${jobs} a
             where a.owner_id = j.owner_id and a.status = 'active' and a.lease_until > now()) < ${opts.perUserLimit}
      order by j.created_at, j.id
      limit 1
      for update skip locked`);
    const id = (picked as unknown as { rows: { id: string }[] }).rows[0]?.id;
    if (!id) return null;
    const [job] = await tx
      .update(jobs)
      .set({
        status: "active",
        runnerId: opts.runnerId,
        startedAt: new Date(),
        leaseUntil: new Date(Date.now() + opts.leaseMs),
      })
      .where(eq(jobs.id, id))
      .returning();
    return job ?? null;
  });
}

/** Renews the lease; false when the job is no longer this runner's (it was swept or cancelled). */
/**
 * Renews the leases of this runner's active jobs in one statement (a heartbeat of 60 jobs was 60 updates a second);
 * returns the ids still held (a job missing from it was taken back by the sweeper: its lease had lapsed).
 */
export async function renewLeases(db: Db, jobIds: string[], runnerId: string, leaseMs: number): Promise<Set<string>> {
  if (jobIds.length === 0) return new Set();
  const rows = await db
    .update(jobs)
    .set({ leaseUntil: new Date(Date.now() + leaseMs) })
    .where(and(inArray(jobs.id, jobIds), eq(jobs.runnerId, runnerId), eq(jobs.status, "active")))
    .returning({ id: jobs.id });
  return new Set(rows.map((r) => r.id));
}

export async function finishJob(db: Db, jobId: string, status: "done" | "failed" | "cancelled") {
  await db.update(jobs).set({ status, finishedAt: new Date(), leaseUntil: null }).where(eq(jobs.id, jobId));
}

/** Active jobs whose lease ran out: their runner died. Marks them failed and returns them. */
export async function reapExpiredJobs(db: Db): Promise<JobRow[]> {
  return db
    .update(jobs)
    .set({ status: "failed", finishedAt: new Date() })
    .where(and(eq(jobs.status, "active"), lt(jobs.leaseUntil, new Date())))
    .returning();
}

/** Cancels the queued jobs of attempts (they never started); returns the attempt ids that were still queued. */
export async function cancelQueuedJobs(db: Db, attemptIds: string[]): Promise<string[]> {
  if (attemptIds.length === 0) return [];
  const rows = await db
    .update(jobs)
    .set({ status: "cancelled", finishedAt: new Date() })
    .where(and(inArray(jobs.attemptId, attemptIds), eq(jobs.status, "queued")))
    .returning({ attemptId: jobs.attemptId });
  return rows.map((r) => r.attemptId);
}

export async function insertJob(db: Db, job: typeof jobs.$inferInsert) {
  const [row] = await db.insert(jobs).values(job).returning();
  return row;
}

/** Which of these attempts a person asked to stop (the heartbeat's check, one query for all of a runner's jobs). */
export async function cancelRequestedAmong(db: Db, attemptIds: string[]): Promise<Set<string>> {
  if (attemptIds.length === 0) return new Set();
  const rows = await db
    .select({ id: attempts.id })
    .from(attempts)
    .where(and(inArray(attempts.id, attemptIds), eq(attempts.cancelRequested, true)));
  return new Set(rows.map((r) => r.id));
}
