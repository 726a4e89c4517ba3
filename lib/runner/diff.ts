import "server-only";
import type { DiffStats } from "@/db/schema";
import { git } from "./git";
import type { AttemptWorkspace } from "./workspace";

export const MAX_DIFF_BYTES = 8 * 1024 * 1024;

/**
 * The attempt's changes against its base commit, as a `git apply`-ready binary patch, plus +/- counts. Untracked
 * files count (they are staged in our git dir's index, never committed here).
 */
export async function computeDiff(ws: AttemptWorkspace, baseCommit: string): Promise<{ diff: string; stats: DiffStats; truncated: boolean }> {
  const opts = { gitDir: ws.gitDir, workTree: ws.tree, cwd: ws.tree, maxBuffer: MAX_DIFF_BYTES * 2 };
  await git(["add", "-A", "--", "."], opts);
  // The .git pointer file the sandbox needs is ours, not the agent's change.
  await git(["reset", "-q", "--", ".git"], opts).catch(() => undefined);
  const numstat = await git(["diff", "--no-ext-diff", "--no-textconv", "--cached", "--numstat", "-z", "--find-renames", baseCommit], opts);
  const stats = parseNumstat(numstat);
  let diff = await git(["diff", "--no-ext-diff", "--no-textconv", "--cached", "--binary", "--find-renames", baseCommit], opts);
  let truncated = false;
  if (Buffer.byteLength(diff) > MAX_DIFF_BYTES) {
    diff = diff.slice(0, MAX_DIFF_BYTES);
    truncated = true;
  }
  return { diff, stats, truncated };
}

export function parseNumstat(out: string): DiffStats {
  const stats: DiffStats = { files: 0, additions: 0, deletions: 0 };
  const parts = out.split("\0");
  for (let i = 0; i < parts.length; i++) {
    const rec = parts[i];
    if (!rec) continue;
    const [add, del, name] = rec.split("\t");
    if (add === undefined || del === undefined) continue;
    stats.files++;
    if (add !== "-") stats.additions += Number(add);
    if (del !== "-") stats.deletions += Number(del);
    if (name === "") i += 2; // a rename: the old and new paths follow as separate fields
  }
  return stats;
}
