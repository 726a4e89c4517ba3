import "server-only";
import fs from "node:fs/promises";
import path from "node:path";
import { inArray } from "drizzle-orm";
import type { Db } from "@/db";
import { attempts } from "@/db/schema";
import { attemptWorkspace, removeVolume, removeWorkspace, type AttemptWorkspace } from "./workspace";

async function leftVolume(ws: AttemptWorkspace): Promise<boolean> {
  return fs.lstat(ws.volume).then(
    () => true,
    () => false,
  );
}

const ACTIVE = new Set(["queued", "preparing", "setup", "running", "finalizing"]);

/**
 * Removes attempt workspaces nobody needs: their attempt is gone, or finished longer than `ttlMs` ago (the host
 * repository with the snapshot goes then; the diff stays on the attempt row, only PRs and follow-ups of it are no
 * longer possible), and the volume of any turn whose runner died. No leaked gigabytes.
 */
export async function reapWorkspaces(db: Db, opts: { dataDir: string; ttlMs: number; now?: number; busy?: Set<string> }): Promise<number> {
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
    if (opts.busy?.has(id)) continue; // this runner is working on it (its row may be gone: a deleted task)
    const row = byId.get(id);
    const ws = attemptWorkspace(opts.dataDir, id);
    const expired = !row || (!ACTIVE.has(row.status) && row.finishedAt !== null && now - row.finishedAt.getTime() > opts.ttlMs);
    if (expired) {
      await removeWorkspace(ws);
      removed++;
    } else if (!ACTIVE.has(row.status) && (await leftVolume(ws))) {
      // A turn's volume outlives it only when its runner died mid-turn: give the space back now, keep the rest.
      await removeVolume(ws);
      removed++;
    }
  }
  return removed;
}
