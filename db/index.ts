import "server-only";
import path from "node:path";
import { getEnv } from "@/lib/env";
import { openPglite, openPostgres, type DbHandle } from "./client";

export type { Db, DbHandle } from "./client";

// Next.js may evaluate this module in more than one bundle of the same process; the handle lives on globalThis
// so that the process opens its database once.
const globalForDb = globalThis as unknown as { __patchbayDb?: Promise<DbHandle> };

/** The process's database: PGlite in the data folder by default, PostgreSQL when DATABASE_URL is set. */
export function getDbHandle(): Promise<DbHandle> {
  if (!globalForDb.__patchbayDb) {
    const env = getEnv();
    const opening = env.DATABASE_URL
      ? openPostgres(env.DATABASE_URL)
      : openPglite(path.join(env.dataDir, "db"));
    globalForDb.__patchbayDb = opening;
    opening.catch(() => {
      if (globalForDb.__patchbayDb === opening) globalForDb.__patchbayDb = undefined;
    });
  }
  return globalForDb.__patchbayDb;
}

export async function getDb() {
  return (await getDbHandle()).db;
}
