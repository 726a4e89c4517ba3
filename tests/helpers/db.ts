import crypto from "node:crypto";
import pg from "pg";
import { openPglite, openPostgres, type DbHandle } from "@/db/client";

export type DbKind = "pglite" | "postgres";

/** The database kinds a test suite runs against: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const dbKinds: DbKind[] = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

/**
 * A fresh, migrated database. For PostgreSQL a throwaway database is created on the server named by
 * DATABASE_URL and dropped by `cleanup`.
 */
export async function openTestDb(kind: DbKind, opts: { poolSize?: number } = {}): Promise<DbHandle & { cleanup(): Promise<void>; url?: string }> {
  if (kind === "pglite") {
    const handle = await openPglite("memory");
    return { ...handle, cleanup: () => handle.close() };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("DATABASE_URL is not set");
  const name = `patchbay_test_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await openPostgres(url.toString(), { migrate: true, max: opts.poolSize ?? 5 });
  return {
    ...handle,
    url: url.toString(),
    async cleanup() {
      await handle.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
