import { git } from "./git-cli";

/** One entry of GitHub's `files` list (pull request files, compare): the patch holds the hunks only. */
export type DiffFile = {
  filename: string;
  previousFilename: string | null;
  status: "added" | "removed" | "modified" | "renamed";
  additions: number;
  deletions: number;
  /** Absent for binary files, as on GitHub. */
  patch: string | null;
  sha: string | null;
};

/** Splits `git diff` output into GitHub's per-file entries. */
export function splitDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  const sections = diff.split(/^(?=diff --git )/m).filter((s) => s.startsWith("diff --git "));
  for (const section of sections) {
    const lines = section.replace(/\n$/, "").split("\n");
    let from: string | null = null;
    let to: string | null = null;
    let status: DiffFile["status"] = "modified";
    let sha: string | null = null;
    let i = 1;
    for (; i < lines.length && !lines[i].startsWith("@@"); i++) {
      const l = lines[i];
      if (l.startsWith("new file mode")) status = "added";
      else if (l.startsWith("deleted file mode")) status = "removed";
      else if (l.startsWith("rename from ")) {
        status = "renamed";
        from = l.slice("rename from ".length);
      } else if (l.startsWith("rename to ")) to = l.slice("rename to ".length);
      else if (l.startsWith("--- ") && l !== "--- /dev/null") from = l.slice(6);
      else if (l.startsWith("+++ ") && l !== "+++ /dev/null") to = l.slice(6);
      else if (l.startsWith("index ")) sha = /\.\.([0-9a-f]+)/.exec(l)?.[1] ?? null;
    }
    if (!from && !to) {
      const m = /^diff --git a\/(.+) b\/(.+)$/.exec(lines[0]);
      from = m?.[1] ?? null;
      to = m?.[2] ?? null;
    }
    const hunks = lines.slice(i);
    const patch = hunks.length ? hunks.join("\n") : null;
    let additions = 0;
    let deletions = 0;
    for (const l of hunks) {
      if (l.startsWith("+")) additions++;
      else if (l.startsWith("-")) deletions++;
    }
    const filename = (status === "removed" ? from : to) ?? from ?? "";
    files.push({ filename, previousFilename: status === "renamed" ? from : null, status, additions, deletions, patch, sha });
  }
  return files;
}

/** What GitHub shows for base...head: the changes of head since its merge base with base. */
export async function threeDotFiles(repoDir: string, base: string, head: string): Promise<DiffFile[]> {
  const mergeBase = (await git(["merge-base", base, head], { cwd: repoDir })).trim();
  const diff = await git(["diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", mergeBase, head], { cwd: repoDir });
  return splitDiff(diff);
}

/** The new-side line numbers a review comment may be put on (context and added lines of the hunks). */
export function rightSideLines(patch: string | null): Set<number> {
  const lines = new Set<number>();
  if (!patch) return lines;
  let next = 0;
  for (const l of patch.split("\n")) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      next = Number(h[1]);
      continue;
    }
    if (l.startsWith("+") || l.startsWith(" ")) lines.add(next++);
  }
  return lines;
}

/** The old-side line numbers (context and removed lines). */
export function leftSideLines(patch: string | null): Set<number> {
  const lines = new Set<number>();
  if (!patch) return lines;
  let next = 0;
  for (const l of patch.split("\n")) {
    const h = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(l);
    if (h) {
      next = Number(h[1]);
      continue;
    }
    if (l.startsWith("-") || l.startsWith(" ")) lines.add(next++);
  }
  return lines;
}
