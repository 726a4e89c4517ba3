import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "../client";
import { environments } from "../schema";

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
  "defaultBranch" | "setupScript" | "envVars" | "secretsEncrypted" | "internetPolicy" | "setupTimeoutSeconds" | "allowedDomains" | "allowedMethods"
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
