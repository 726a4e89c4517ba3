/**
 * Where a review comment may go: GitHub accepts inline comments only on lines of the pull request's diff. On the
 * new side (RIGHT) those are the context and added lines of each hunk of a file's patch. Pure functions.
 */

export type PatchFile = { filename: string; patch?: string | null };

/** New-side line numbers of a patch's hunks (context and added lines). */
export function rightSideLines(patch: string | null | undefined): Set<number> {
  const lines = new Set<number>();
  if (!patch) return lines;
  let next = 0;
  let inHunk = false;
  for (const l of patch.replace(/\n$/, "").split("\n")) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      next = Number(h[1]);
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    if (l.startsWith("+") || l.startsWith(" ")) lines.add(next++);
    else if (l === "") lines.add(next++); // a blank context line whose leading space was trimmed
  }
  return lines;
}

/** File → commentable new-side lines, for every file of the diff (binary files have none). */
export function commentableLines(files: PatchFile[]): Map<string, Set<number>> {
  return new Map(files.map((f) => [f.filename, rightSideLines(f.patch)]));
}
