import "server-only";
import fs from "node:fs/promises";
import path from "node:path";
import { inArray } from "drizzle-orm";
import type { Db } from "@/db";
import { attempts } from "@/db/schema";
import { attemptWorkspace, removeWorkspace } from "./workspace";

const ACTIVE = new Set(["queued", "preparing", "setup", "running", "finalizing"]);

/**
 * Removes attempt workspaces nobody needs: their attempt is gone, or finished longer than `ttlMs` ago. The diff
 * stays on the attempt row; only a follow-up on such an attempt is no longer possible. No leaked gigabytes.
 */
export async function reapWorkspaces(db: Db, opts: { dataDir: string; ttlMs: number; now?: number }): Promise<number> {
  const root = path.join(opts.dataDir, "work");
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const ids = names.filter((n) => /^[0-9a-f-]{36}$/.test(n));
  if (ids.length === 0) return 0;
  const rows = await db
    .select({ id: attempts.id, status: attempts.status, finishedAt: attempts.finishedAt })
    .from(attempts)
    .where(inArray(attempts.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const now = opts.now ?? Date.now();
  let removed = 0;
  for (const id of ids) {
    const row = byId.get(id);
    const expired = !row || (!ACTIVE.has(row.status) && row.finishedAt !== null && now - row.finishedAt.getTime() > opts.ttlMs);
    if (!expired) continue;
    await removeWorkspace(attemptWorkspace(opts.dataDir, id));
    removed++;
  }
  return removed;
}
