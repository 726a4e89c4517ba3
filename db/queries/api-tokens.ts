import "server-only";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { apiTokens, users } from "../schema";

export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type NewApiToken = Omit<typeof apiTokens.$inferInsert, "id" | "createdAt" | "lastUsedAt" | "revokedAt" | "rateTat">;

export async function insertApiToken(db: Db, token: NewApiToken): Promise<ApiTokenRow> {
  const [row] = await db.insert(apiTokens).values(token).returning();
  return row;
}

/** The user's tokens that are not revoked (expired ones included, to be seen and removed), newest first. */
export async function listUserApiTokens(db: Db, userId: string): Promise<ApiTokenRow[]> {
  return db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

export async function countActiveApiTokens(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt), sql`${apiTokens.expiresAt} > now()`));
  return row?.n ?? 0;
}

/** Revokes one of the user's tokens; false when there is no such token of theirs (or it was revoked already). */
export async function revokeUserApiToken(db: Db, userId: string, tokenId: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** The token with this hash and its user, whatever its state (the caller tells revoked and expired apart). */
export async function findApiTokenByHash(db: Db, tokenHash: string) {
  const [row] = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash))
    .limit(1);
  return row ?? null;
}

export type RateLimit = { intervalMs: number; burst: number };
export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

/**
 * One request against the token's bucket (GCRA: the bucket is the distance between now and the theoretical arrival
 * time `rate_tat`). Allowed when pushing that time one interval further keeps it at most `burst` intervals ahead;
 * then "last used" moves too. A single UPDATE whose condition PostgreSQL re-checks on the latest row version, so
 * concurrent requests from any number of web instances never overspend the bucket.
 */
export async function takeRateSlot(db: Db, tokenId: string, limit: RateLimit): Promise<RateDecision> {
  const interval = sql`(${limit.intervalMs}::float8 * interval '1 millisecond')`;
  const next = sql`(greatest(coalesce(${apiTokens.rateTat}, now()), now()) + ${interval})`;
  const rows = await db
    .update(apiTokens)
    .set({ rateTat: next, lastUsedAt: sql`now()` })
    .where(and(eq(apiTokens.id, tokenId), sql`${next} - now() <= ${limit.burst}::float8 * ${interval}`))
    .returning({ aheadMs: sql<number>`(extract(epoch from (${apiTokens.rateTat} - now())) * 1000)::float8`.mapWith(Number) });
  if (rows.length > 0) {
    return { allowed: true, remaining: Math.max(0, Math.floor(limit.burst - rows[0].aheadMs / limit.intervalMs)) };
  }
  const [row] = await db
    .select({ aheadMs: sql<number>`(extract(epoch from (coalesce(${apiTokens.rateTat}, now()) - now())) * 1000)::float8`.mapWith(Number) })
    .from(apiTokens)
    .where(eq(apiTokens.id, tokenId));
  // The next request fits once the arrival time is back within one burst, less the interval it will add.
  const wait = (row?.aheadMs ?? 0) + limit.intervalMs - limit.burst * limit.intervalMs;
  return { allowed: false, retryAfterMs: Math.max(1, wait) };
}
