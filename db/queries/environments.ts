import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { environmentCaches, environments } from "../schema";

export type EnvironmentRow = typeof environments.$inferSelect;

export async function findEnvironment(db: Db, ownerId: string, repoFullName: string): Promise<EnvironmentRow | null> {
  const [row] = await db
    .select()
    .from(environments)
    .where(and(eq(environments.ownerId, ownerId), eq(environments.repoFullName, repoFullName)))
    .limit(1);
  return row ?? null;
}

export async function findEnvironmentById(db: Db, id: string): Promise<EnvironmentRow | null> {
  const [row] = await db.select().from(environments).where(eq(environments.id, id)).limit(1);
  return row ?? null;
}

export type EnvironmentSettings = Pick<
  typeof environments.$inferInsert,
  | "defaultBranch"
  | "setupScript"
  | "maintenanceScript"
  | "envVars"
  | "secretsEncrypted"
  | "internetPolicy"
  | "allowlistPreset"
  | "allowedDomains"
  | "allowedMethods"
  | "setupInternetPolicy"
  | "setupTimeoutSeconds"
  | "engine"
>;

export async function upsertEnvironment(
  db: Db,
  key: { ownerId: string; repoFullName: string },
  settings: EnvironmentSettings,
): Promise<EnvironmentRow> {
  const [saved] = await db
    .insert(environments)
    .values({ ...key, ...settings })
    .onConflictDoUpdate({
      target: [environments.ownerId, environments.repoFullName],
      set: { ...settings, updatedAt: new Date() },
    })
    .returning();
  return saved;
}

/** Makes every cache entry of the environment stale (their rows go; runners delete the files they find orphaned). */
export async function bumpCacheGeneration(db: Db, environmentId: string): Promise<EnvironmentRow> {
  return db.transaction(async (tx) => {
    await tx.delete(environmentCaches).where(eq(environmentCaches.environmentId, environmentId));
    const [row] = await tx
      .update(environments)
      .set({ cacheGeneration: sql`${environments.cacheGeneration} + 1`, updatedAt: new Date() })
      .where(eq(environments.id, environmentId))
      .returning();
    return row;
  });
}

/** Entries, bytes and the newest entry of an environment's cache, across runners. */
export async function cacheSummary(db: Db, environmentId: string): Promise<{ entries: number; bytes: number; newestAt: string | null }> {
  const [row] = await db
    .select({
      entries: sql<number>`count(*)::int`,
      bytes: sql<number>`coalesce(sum(${environmentCaches.sizeBytes}), 0)::bigint`,
      newest: sql<Date | null>`max(${environmentCaches.createdAt})`,
    })
    .from(environmentCaches)
    .where(eq(environmentCaches.environmentId, environmentId));
  const newest = row?.newest ? new Date(row.newest) : null;
  return { entries: Number(row?.entries ?? 0), bytes: Number(row?.bytes ?? 0), newestAt: newest ? newest.toISOString() : null };
}

/** A prepared environment on a runner's disk (created or rebuilt). */
export async function upsertCacheRow(
  db: Db,
  row: { environmentId: string; runnerHost: string; cacheKey: string; baseCommit: string; sizeBytes: number },
): Promise<void> {
  await db
    .insert(environmentCaches)
    .values(row)
    .onConflictDoUpdate({
      target: [environmentCaches.runnerHost, environmentCaches.cacheKey],
      set: { baseCommit: row.baseCommit, sizeBytes: row.sizeBytes, createdAt: new Date(), lastUsedAt: new Date() },
    });
}

export async function touchCacheRow(db: Db, runnerHost: string, cacheKey: string): Promise<void> {
  await db
    .update(environmentCaches)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(environmentCaches.runnerHost, runnerHost), eq(environmentCaches.cacheKey, cacheKey)));
}

export async function deleteCacheRows(db: Db, runnerHost: string, cacheKeys: string[]): Promise<void> {
  if (cacheKeys.length === 0) return;
  await db.delete(environmentCaches).where(and(eq(environmentCaches.runnerHost, runnerHost), inArray(environmentCaches.cacheKey, cacheKeys)));
}

/** The current cache generation of an environment (null when it is gone). */
export async function cacheGenerationOf(db: Db, environmentId: string): Promise<number | null> {
  const [row] = await db.select({ g: environments.cacheGeneration }).from(environments).where(eq(environments.id, environmentId)).limit(1);
  return row ? row.g : null;
}
