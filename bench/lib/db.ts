/**
 * A fresh, migrated database for a bench, like tests/helpers/db.ts but with the app's own pool size for
 * PostgreSQL (openPostgres's default, 10 connections), since pool size shapes several of the figures.
 */
import crypto from "node:crypto";
import pg from "pg";
import { openPglite, openPostgres, type DbHandle } from "@/db/client";

export type BenchDb = DbHandle & { cleanup(): Promise<void> };

export async function openBenchDb(kind: "pglite" | "postgres"): Promise<BenchDb> {
  if (kind === "pglite") {
    const handle = await openPglite("memory");
    return { ...handle, cleanup: () => handle.close() };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("DATABASE_URL is not set");
  const name = `patchbay_bench_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = await openPostgres(url.toString(), { migrate: true });
  return {
    ...handle,
    async cleanup() {
      await handle.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Makes lib/ functions that use the process database (getDbHandle/getDb) use this handle — what
 * tests/helpers/stack.ts's useDbHandle does, under a name the hooks lint rule leaves alone.
 */
export function setProcessDb(handle: DbHandle): void {
  (globalThis as unknown as { __patchbayDb?: Promise<DbHandle> }).__patchbayDb = Promise.resolve(handle);
}
