import "server-only";
import type { DiffStats } from "@/db/schema";
import { git, GitError } from "./git";

export const MAX_DIFF_BYTES = 8 * 1024 * 1024;

/**
 * The attempt's changes: base commit → the turn's snapshot, both in the host repository (objects only: no
 * checkout, no attributes of the agent's, no external diff or textconv), as a `git apply`-ready binary patch plus
 * +/- counts. Create PR commits the same tree, so the diff shows exactly what the PR will hold.
 */
export async function computeDiff(opts: { hostRepo: string; baseCommit: string; snapshot: string }): Promise<{ diff: string; stats: DiffStats; truncated: boolean }> {
  const g = { gitDir: opts.hostRepo, maxBuffer: MAX_DIFF_BYTES * 2 };
  const range = [opts.baseCommit, opts.snapshot];
  const numstat = await git(["diff", "--no-ext-diff", "--no-textconv", "--numstat", "-z", "--find-renames", ...range], g);
  const stats = parseNumstat(numstat);
  let diff: string;
  let truncated = false;
  try {
    diff = await git(["diff", "--no-ext-diff", "--no-textconv", "--binary", "--find-renames", ...range], g);
  } catch (err) {
    // Larger than we keep: the diff is cut (the PR still gets the whole snapshot).
    if (!(err instanceof GitError) || err.exitCode !== null) throw err;
    diff = (await git(["diff", "--no-ext-diff", "--no-textconv", "--stat", ...range], g)) + "\n(The full diff is too large to show.)\n";
    truncated = true;
  }
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
