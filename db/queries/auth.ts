import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, sessions, users } from "../schema";

export type UserRow = typeof users.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type NewAccount = typeof accounts.$inferInsert;

export async function insertUser(db: Db, user: NewUser): Promise<UserRow> {
  const [row] = await db.insert(users).values(user).returning();
  return row;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  return row ?? null;
}

export async function findUserByAccount(db: Db, provider: string, providerAccountId: string): Promise<UserRow | null> {
  const [row] = await db
    .select({ user: users })
    .from(accounts)
    .innerJoin(users, eq(users.id, accounts.userId))
    .where(and(eq(accounts.provider, provider), eq(accounts.providerAccountId, providerAccountId)))
    .limit(1);
  return row?.user ?? null;
}

export async function updateUserRow(db: Db, id: string, patch: Partial<NewUser>): Promise<UserRow> {
  const [row] = await db.update(users).set(patch).where(eq(users.id, id)).returning();
  return row;
}

export async function deleteUserRow(db: Db, id: string): Promise<void> {
  await db.delete(users).where(eq(users.id, id));
}

export async function upsertAccount(db: Db, account: NewAccount): Promise<void> {
  await db
    .insert(accounts)
    .values(account)
    .onConflictDoUpdate({
      target: [accounts.provider, accounts.providerAccountId],
      set: {
        userId: account.userId,
        accessToken: account.accessToken,
        refreshToken: account.refreshToken,
        expiresAt: account.expiresAt,
        refreshTokenExpiresAt: account.refreshTokenExpiresAt,
        tokenType: account.tokenType,
        scope: account.scope,
      },
    });
}

export async function deleteAccount(db: Db, provider: string, providerAccountId: string): Promise<void> {
  await db.delete(accounts).where(and(eq(accounts.provider, provider), eq(accounts.providerAccountId, providerAccountId)));
}

export async function findAccountOfUser(db: Db, userId: string, provider: string): Promise<AccountRow | null> {
  const [row] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.userId, userId), eq(accounts.provider, provider)))
    .limit(1);
  return row ?? null;
}

export async function updateAccountTokens(
  db: Db,
  key: { provider: string; providerAccountId: string },
  tokens: Pick<NewAccount, "accessToken" | "refreshToken" | "expiresAt" | "refreshTokenExpiresAt">,
): Promise<void> {
  await db
    .update(accounts)
    .set(tokens)
    .where(and(eq(accounts.provider, key.provider), eq(accounts.providerAccountId, key.providerAccountId)));
}

export async function insertSession(db: Db, s: typeof sessions.$inferInsert) {
  const [row] = await db.insert(sessions).values(s).returning();
  return row;
}

export async function findSessionAndUser(db: Db, sessionToken: string) {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.sessionToken, sessionToken))
    .limit(1);
  return row ?? null;
}

export async function updateSessionRow(db: Db, sessionToken: string, patch: Partial<typeof sessions.$inferInsert>) {
  const [row] = await db.update(sessions).set(patch).where(eq(sessions.sessionToken, sessionToken)).returning();
  return row ?? null;
}

export async function deleteSessionRow(db: Db, sessionToken: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.sessionToken, sessionToken));
}
