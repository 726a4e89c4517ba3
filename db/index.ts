import "server-only";
import path from "node:path";
import { getEnv } from "@/lib/env";
import { openPglite, openPostgres, type DbHandle } from "./client";

export type { Db, DbHandle, ThreadLink } from "./client";

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

/**
 * A thread that reaches the process's database through another thread's link (the embedded runner's) makes that
 * its database, before anything asks for one: opening the PGlite folder a second time would not be refused (the
 * lock is the process's) and two PostgreSQL instances on one folder destroy it.
 */
export function adoptDbHandle(handle: DbHandle): void {
  globalForDb.__patchbayDb = Promise.resolve(handle);
}

export async function getDb() {
  return (await getDbHandle()).db;
}
