import "server-only";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, githubDeliveries, githubRepoSettings, githubTaskLinks, tasks, users, type GitHubDeliveryStatus, type GitHubLinkState } from "../schema";

export type GitHubDeliveryRow = typeof githubDeliveries.$inferSelect;
export type GitHubTaskLinkRow = typeof githubTaskLinks.$inferSelect;
export type NewGitHubTaskLink = typeof githubTaskLinks.$inferInsert;

/**
 * Records a delivery unless one with the same id or the same dedupe key was recorded before (a replay).
 * True when it is new.
 */
export async function insertDelivery(
  db: Db,
  d: { id: string; dedupeKey: string; event: string; action: string | null; payload: Record<string, unknown> },
): Promise<boolean> {
  const rows = await db.insert(githubDeliveries).values(d).onConflictDoNothing().returning({ id: githubDeliveries.id });
  return rows.length > 0;
}

/**
 * Claims the oldest queued delivery, or one whose worker's lease lapsed (it died mid-way), for `leaseMs`.
 * Deliveries that failed `maxTries` times stay failed.
 */
export async function claimDelivery(db: Db, opts: { leaseMs: number; maxTries: number }): Promise<GitHubDeliveryRow | null> {
  return db.transaction(async (tx) => {
    const picked = await tx.execute<{ id: string }>(sql`
      select id from ${githubDeliveries}
      where (status = 'queued' or (status = 'working' and lease_until < now())) and tries < ${opts.maxTries}
      order by received_at, id
      limit 1
      for update skip locked`);
    const id = (picked as unknown as { rows: { id: string }[] }).rows[0]?.id;
    if (!id) return null;
    const [row] = await tx
      .update(githubDeliveries)
      .set({ status: "working", tries: sql`${githubDeliveries.tries} + 1`, leaseUntil: new Date(Date.now() + opts.leaseMs) })
      .where(eq(githubDeliveries.id, id))
      .returning();
    return row ?? null;
  });
}

/** Done or failed for good: the payload goes (the id and key stay, for replay protection). */
export async function finishDelivery(db: Db, id: string, status: Exclude<GitHubDeliveryStatus, "queued" | "working">, error?: string) {
  await db
    .update(githubDeliveries)
    .set({ status, error: error ?? null, payload: null, leaseUntil: null, finishedAt: new Date() })
    .where(eq(githubDeliveries.id, id));
}

/**
 * After a transient failure (GitHub down): claimable again once `retryAt` passes (a claim takes a delivery whose
 * lease lapsed, so the lease doubles as the back-off).
 */
export async function requeueDelivery(db: Db, id: string, opts: { error: string; retryAt: Date }) {
  await db.update(githubDeliveries).set({ status: "working", error: opts.error, leaseUntil: opts.retryAt }).where(eq(githubDeliveries.id, id));
}

export async function findDelivery(db: Db, id: string): Promise<GitHubDeliveryRow | null> {
  const [row] = await db.select().from(githubDeliveries).where(eq(githubDeliveries.id, id)).limit(1);
  return row ?? null;
}

/** Handled deliveries older than `before` (GitHub redelivers for three days; replays past that are refused by age). */
export async function pruneDeliveries(db: Db, before: Date): Promise<void> {
  await db.delete(githubDeliveries).where(and(inArray(githubDeliveries.status, ["done", "failed"]), lt(githubDeliveries.receivedAt, before)));
}

export async function insertTaskLink(db: Db, link: NewGitHubTaskLink) {
  const [row] = await db.insert(githubTaskLinks).values(link).returning();
  return row;
}

export async function findTaskLink(db: Db, taskId: string): Promise<GitHubTaskLinkRow | null> {
  const [row] = await db.select().from(githubTaskLinks).where(eq(githubTaskLinks.taskId, taskId)).limit(1);
  return row ?? null;
}

const FINISHED = ["succeeded", "failed", "cancelled"];

/**
 * Claims a link whose task has finished and whose result is not posted yet (or whose poster's lease lapsed), for
 * `leaseMs`. A task someone deleted takes its link with it.
 */
export async function claimFinishedLink(db: Db, opts: { leaseMs: number }): Promise<GitHubTaskLinkRow | null> {
  return db.transaction(async (tx) => {
    const picked = await tx.execute<{ task_id: string }>(sql`
      select l.task_id from ${githubTaskLinks} l join ${tasks} t on t.id = l.task_id
      where t.status in (${sql.join(FINISHED.map((s) => sql`${s}`), sql`, `)})
        and (l.state = 'waiting' or (l.state = 'posting' and l.lease_until < now()))
      order by t.finished_at nulls first, l.task_id
      limit 1
      for update of l skip locked`);
    const taskId = (picked as unknown as { rows: { task_id: string }[] }).rows[0]?.task_id;
    if (!taskId) return null;
    const [row] = await tx
      .update(githubTaskLinks)
      .set({ state: "posting", leaseUntil: new Date(Date.now() + opts.leaseMs) })
      .where(eq(githubTaskLinks.taskId, taskId))
      .returning();
    return row ?? null;
  });
}

/** After a transient failure: posting is tried again once `retryAt` passes (when the lease lapses). */
export async function retryTaskLinkAt(db: Db, taskId: string, opts: { error: string; retryAt: Date }) {
  await db.update(githubTaskLinks).set({ state: "posting", error: opts.error, leaseUntil: opts.retryAt }).where(eq(githubTaskLinks.taskId, taskId));
}

export async function finishTaskLink(db: Db, taskId: string, patch: { state: Exclude<GitHubLinkState, "posting">; resultUrl?: string | null; error?: string | null }) {
  await db
    .update(githubTaskLinks)
    .set({ ...patch, leaseUntil: null, finishedAt: patch.state === "waiting" ? null : new Date() })
    .where(eq(githubTaskLinks.taskId, taskId));
}

export async function findTaskLinkByDelivery(db: Db, deliveryId: string): Promise<GitHubTaskLinkRow | null> {
  const [row] = await db.select().from(githubTaskLinks).where(eq(githubTaskLinks.deliveryId, deliveryId)).limit(1);
  return row ?? null;
}

export async function getRepoSettings(db: Db, repoFullName: string) {
  const [row] = await db.select().from(githubRepoSettings).where(eq(githubRepoSettings.repoFullName, repoFullName.toLowerCase())).limit(1);
  return { reviewOnRequest: row?.reviewOnRequest ?? false, updatedAt: row?.updatedAt ?? null };
}

export async function setRepoSettings(db: Db, repoFullName: string, patch: { reviewOnRequest: boolean; updatedBy: string }) {
  const key = repoFullName.toLowerCase();
  const [row] = await db
    .insert(githubRepoSettings)
    .values({ repoFullName: key, ...patch })
    .onConflictDoUpdate({ target: githubRepoSettings.repoFullName, set: { ...patch, updatedAt: new Date() } })
    .returning();
  return { reviewOnRequest: row.reviewOnRequest, updatedAt: row.updatedAt };
}

/** The Patchbay user of a GitHub account (numeric id): the account they sign in with, else the id kept on the user. */
export async function findUserByGitHubId(db: Db, githubId: number) {
  const [byAccount] = await db
    .select({ user: users })
    .from(users)
    .innerJoin(accounts, and(eq(accounts.userId, users.id), eq(accounts.provider, "github"), eq(accounts.providerAccountId, String(githubId))))
    .limit(1);
  if (byAccount) return byAccount.user;
  const [byId] = await db.select().from(users).where(eq(users.githubId, githubId)).limit(1);
  return byId ?? null;
}
