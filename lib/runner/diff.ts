import "server-only";
import type { DiffStats } from "@/db/schema";
import { git, GitError } from "./git";

export const MAX_DIFF_BYTES = 8 * 1024 * 1024;

const DIFF_ARGS = ["diff", "--no-ext-diff", "--no-textconv", "--find-renames"];

/**
 * The attempt's changes: base commit → the turn's snapshot, both in the host repository (objects only: no
 * checkout, no attributes of the agent's, no external diff or textconv), as a `git apply`-ready binary patch plus
 * +/- counts. Create PR commits the same tree, so the diff shows exactly what the PR will hold. One git process:
 * the counts (--numstat) come first, a blank line, then the patch, byte for byte what `git diff --binary` prints.
 */
export async function computeDiff(opts: { hostRepo: string; baseCommit: string; snapshot: string }): Promise<{ diff: string; stats: DiffStats; truncated: boolean }> {
  const g = { gitDir: opts.hostRepo, maxBuffer: MAX_DIFF_BYTES * 2 };
  const range = [opts.baseCommit, opts.snapshot];
  let stats: DiffStats;
  let diff: string;
  let truncated = false;
  try {
    const out = await git([...DIFF_ARGS, "--numstat", "--patch", "--binary", ...range], g);
    const end = out.indexOf("\n\n");
    stats = parseNumstatLines(end < 0 ? out : out.slice(0, end));
    diff = end < 0 ? "" : out.slice(end + 2);
  } catch (err) {
    // Larger than we keep: the diff is cut (the PR still gets the whole snapshot).
    if (!(err instanceof GitError) || err.exitCode !== null) throw err;
    stats = parseNumstat(await git([...DIFF_ARGS, "--numstat", "-z", ...range], g));
    diff = (await git([...DIFF_ARGS, "--stat", ...range], g)) + "\n(The full diff is too large to show.)\n";
    truncated = true;
  }
  if (Buffer.byteLength(diff) > MAX_DIFF_BYTES) {
    diff = diff.slice(0, MAX_DIFF_BYTES);
    truncated = true;
  }
  return { diff, stats, truncated };
}

/** `--numstat` lines ("added\tdeleted\tpath", "-\t-\tpath" for a binary file): a line per file, paths quoted. */
function parseNumstatLines(out: string): DiffStats {
  const stats: DiffStats = { files: 0, additions: 0, deletions: 0 };
  for (const line of out.split("\n")) {
    const [add, del] = line.split("\t", 2);
    if (!line || del === undefined) continue;
    stats.files++;
    if (add !== "-") stats.additions += Number(add);
    if (del !== "-") stats.deletions += Number(del);
  }
  return stats;
}

/** `--numstat -z` output: renames carry the old and new paths as separate fields. */
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
