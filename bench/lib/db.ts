/**
 * A fresh, migrated database for a bench: the tests' helper with the app's own pool size for PostgreSQL
 * (openPostgres's default, 10 connections), since pool size shapes several of the figures.
 */
import { openTestDb } from "@/tests/helpers/db";

export { setProcessDb } from "@/tests/helpers/stack";
export type BenchDb = Awaited<ReturnType<typeof openTestDb>>;

export function openBenchDb(kind: "pglite" | "postgres"): Promise<BenchDb> {
  return openTestDb(kind, { poolSize: 10 });
}
