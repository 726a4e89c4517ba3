/** Parser for `git diff` output (also plain unified diffs). Pure: no React, no DOM. */

export type DiffLineType = "context" | "add" | "del";
export type DiffLine = { type: DiffLineType; content: string; oldNo: number | null; newNo: number | null; noNewline?: boolean };
export type DiffHunk = {
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The function/section name git prints after the second `@@`. */
  section: string;
  lines: DiffLine[];
};
export type DiffFileStatus = "added" | "deleted" | "modified" | "renamed" | "copied";
export type DiffFile = {
  /** The path to show and to match citations against: the new path, or the old one for a deletion. */
  path: string;
  oldPath: string | null;
  newPath: string | null;
  status: DiffFileStatus;
  binary: boolean;
  oldMode?: string;
  newMode?: string;
  similarity?: number;
  hunks: DiffHunk[];
  additions: number;
  deletions: number;
  /** Rendered rows: hunk lines plus one header row per hunk. */
  rowCount: number;
};

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

/** Unquotes a git path: `"a/sp ace\t\303\251"` → `a/sp ace\té` (octal escapes are UTF-8 bytes). */
export function unquoteGitPath(raw: string): string {
  if (!raw.startsWith('"') || !raw.endsWith('"') || raw.length < 2) return raw;
  const body = raw.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, v: 11, a: 7, '"': 34, "\\": 92 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "\\" && i + 1 < body.length) {
      const next = body[i + 1];
      if (/[0-7]/.test(next)) {
        const oct = body.slice(i + 1, i + 4).match(/^[0-7]{1,3}/)![0];
        bytes.push(parseInt(oct, 8));
        i += oct.length;
        continue;
      }
      if (next in simple) {
        bytes.push(simple[next]);
        i++;
        continue;
      }
    }
    for (const b of new TextEncoder().encode(ch)) bytes.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function stripPrefix(p: string): string {
  return p.startsWith("a/") || p.startsWith("b/") ? p.slice(2) : p;
}

/** A path from a `---`/`+++` line: null for /dev/null; timestamps (non-git diffs) dropped. */
function headerPath(rest: string): string | null {
  let p = rest.startsWith('"') ? unquoteGitPath(rest.match(/^"(?:[^"\\]|\\.)*"/)?.[0] ?? rest) : rest.split("\t")[0];
  p = p.replace(/\s+$/, "");
  if (p === "/dev/null") return null;
  return stripPrefix(p);
}

/** The two paths of `diff --git a/x b/y`; ambiguous with spaces, so the later headers win when present. */
function gitHeaderPaths(rest: string): [string, string] | null {
  const quoted = rest.match(/^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/);
  if (quoted && (rest.includes('"') || !rest.slice(2).includes(" b/"))) {
    return [stripPrefix(unquoteGitPath(quoted[1])), stripPrefix(unquoteGitPath(quoted[2]))];
  }
  // Unquoted paths with spaces: `a/<p> b/<p>`, usually the same path twice.
  if (rest.startsWith("a/")) {
    const half = (rest.length - 1) / 2;
    if (Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3) && rest.slice(half, half + 3) === " b/") {
      const p = rest.slice(2, half);
      return [p, p];
    }
    const at = rest.indexOf(" b/");
    if (at > 0) return [rest.slice(2, at), rest.slice(at + 3)];
  }
  return null;
}

function newFile(): DiffFile {
  return { path: "", oldPath: null, newPath: null, status: "modified", binary: false, hunks: [], additions: 0, deletions: 0, rowCount: 0 };
}

function finish(file: DiffFile, flags: { added: boolean; deleted: boolean; renamed: boolean; copied: boolean }): DiffFile {
  if (flags.added || (file.oldPath === null && file.newPath !== null)) file.status = "added";
  else if (flags.deleted || (file.newPath === null && file.oldPath !== null)) file.status = "deleted";
  else if (flags.renamed) file.status = "renamed";
  else if (flags.copied) file.status = "copied";
  else if (file.oldPath && file.newPath && file.oldPath !== file.newPath) file.status = "renamed";
  if (file.status === "added") file.oldPath = null;
  if (file.status === "deleted") file.newPath = null;
  file.path = file.newPath ?? file.oldPath ?? "";
  file.rowCount = file.hunks.reduce((n, h) => n + h.lines.length + 1, 0);
  return file;
}

/** Parses a unified diff into files. Tolerant: unknown lines are skipped, never thrown on. */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();

  let file: DiffFile | null = null;
  let flags = { added: false, deleted: false, renamed: false, copied: false };
  let hunk: DiffHunk | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let oldNo = 0;
  let newNo = 0;
  let inBinaryPatch = false;
  let isGit = false;

  const start = (git: boolean) => {
    if (file) files.push(finish(file, flags));
    file = newFile();
    flags = { added: false, deleted: false, renamed: false, copied: false };
    hunk = null;
    inBinaryPatch = false;
    isGit = git;
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];

    // Inside a hunk, the line counts decide what is content (a removed "-- x" line reads "--- x").
    if (hunk && file && (oldLeft > 0 || newLeft > 0)) {
      const h: DiffHunk = hunk;
      const f: DiffFile = file;
      const c = raw[0];
      if (c === "+" && newLeft > 0) {
        h.lines.push({ type: "add", content: raw.slice(1), oldNo: null, newNo: newNo++ });
        newLeft--;
        f.additions++;
        continue;
      }
      if (c === "-" && oldLeft > 0) {
        h.lines.push({ type: "del", content: raw.slice(1), oldNo: oldNo++, newNo: null });
        oldLeft--;
        f.deletions++;
        continue;
      }
      if ((c === " " || raw === "" || raw === "\r") && oldLeft > 0 && newLeft > 0) {
        h.lines.push({ type: "context", content: raw.slice(1), oldNo: oldNo++, newNo: newNo++ });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (c === "\\") {
        const last = h.lines[h.lines.length - 1];
        if (last) last.noNewline = true;
        continue;
      }
      // A malformed hunk (counts too big): fall through and treat the line as a header.
      oldLeft = newLeft = 0;
    }
    if (raw.startsWith("\\") && hunk) {
      const h: DiffHunk = hunk;
      const last = h.lines[h.lines.length - 1];
      if (last) last.noNewline = true;
      continue;
    }

    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;

    if (line.startsWith("diff --git ")) {
      start(true);
      const paths = gitHeaderPaths(line.slice("diff --git ".length));
      if (paths) [file!.oldPath, file!.newPath] = paths;
      continue;
    }
    if (inBinaryPatch) continue;

    if (line.startsWith("--- ") && lines[i + 1]?.startsWith("+++ ")) {
      // A plain unified diff has no `diff --git` line: each `---`/`+++` pair starts a file.
      if (!file || !isGit || (file as DiffFile).hunks.length > 0) start(false);
      const f = file! as DiffFile;
      f.oldPath = headerPath(line.slice(4));
      f.newPath = headerPath(lines[i + 1].replace(/\r$/, "").slice(4));
      if (f.oldPath === null) flags.added = true;
      if (f.newPath === null) flags.deleted = true;
      i++;
      continue;
    }
    const m = HUNK.exec(line);
    if (m) {
      if (!file) start(false);
      const f = file! as DiffFile;
      hunk = {
        header: line,
        oldStart: Number(m[1]),
        oldLines: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]),
        newLines: m[4] === undefined ? 1 : Number(m[4]),
        section: m[5].trim(),
        lines: [],
      };
      f.hunks.push(hunk);
      oldLeft = hunk.oldLines;
      newLeft = hunk.newLines;
      oldNo = hunk.oldStart;
      newNo = hunk.newStart;
      continue;
    }
    if (!file) continue;
    const f = file as DiffFile;
    if (line.startsWith("new file mode ")) {
      flags.added = true;
      f.newMode = line.slice(14).trim();
    } else if (line.startsWith("deleted file mode ")) {
      flags.deleted = true;
      f.oldMode = line.slice(18).trim();
    } else if (line.startsWith("old mode ")) f.oldMode = line.slice(9).trim();
    else if (line.startsWith("new mode ")) f.newMode = line.slice(9).trim();
    else if (line.startsWith("rename from ")) {
      flags.renamed = true;
      f.oldPath = unquoteGitPath(line.slice(12));
    } else if (line.startsWith("rename to ")) {
      flags.renamed = true;
      f.newPath = unquoteGitPath(line.slice(10));
    } else if (line.startsWith("copy from ")) {
      flags.copied = true;
      f.oldPath = unquoteGitPath(line.slice(10));
    } else if (line.startsWith("copy to ")) {
      flags.copied = true;
      f.newPath = unquoteGitPath(line.slice(8));
    } else if (line.startsWith("similarity index ")) f.similarity = parseInt(line.slice(17), 10);
    else if (line.startsWith("Binary files ") && line.endsWith(" differ")) {
      f.binary = true;
      const bm = line.match(/^Binary files (.+) and (.+) differ$/);
      if (bm) {
        const a = headerPath(bm[1]);
        const b = headerPath(bm[2]);
        if (a === null) flags.added = true;
        if (b === null) flags.deleted = true;
      }
    } else if (line === "GIT binary patch") {
      f.binary = true;
      inBinaryPatch = true;
    }
  }
  if (file) files.push(finish(file, flags));
  return files;
}

/** One row of the side-by-side view: the old line on the left, the new on the right (either may be absent). */
export type SplitRow = { left: DiffLine | null; right: DiffLine | null };

/** Pairs a hunk's removed and added runs line by line; context lines sit on both sides. */
export function toSplitRows(hunk: DiffHunk): SplitRow[] {
  const rows: SplitRow[] = [];
  const lines = hunk.lines;
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l.type === "context") {
      rows.push({ left: l, right: l });
      i++;
      continue;
    }
    const dels: DiffLine[] = [];
    const adds: DiffLine[] = [];
    while (i < lines.length && lines[i].type === "del") dels.push(lines[i++]);
    while (i < lines.length && lines[i].type === "add") adds.push(lines[i++]);
    const n = Math.max(dels.length, adds.length);
    for (let k = 0; k < n; k++) rows.push({ left: dels[k] ?? null, right: adds[k] ?? null });
  }
  return rows;
}

export function diffTotals(files: readonly DiffFile[]): { files: number; additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const f of files) {
    additions += f.additions;
    deletions += f.deletions;
  }
  return { files: files.length, additions, deletions };
}

/** The file a citation path refers to: exact match first, then a path suffix match (`greet.js` → `src/greet.js`). */
export function findDiffFile(files: readonly DiffFile[], path: string): DiffFile | undefined {
  const p = path.replace(/^\.?\//, "").replace(/^[ab]\//, "");
  return (
    files.find((f) => f.newPath === p || f.oldPath === p) ??
    files.find((f) => f.path.endsWith(`/${p}`) || (f.oldPath?.endsWith(`/${p}`) ?? false))
  );
}
