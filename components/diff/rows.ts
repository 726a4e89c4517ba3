/** The rows of a file's body, and the heights the virtualized diff starts from. Pure: no React, no DOM. */
import { toSplitRows, type DiffFile, type DiffHunk, type DiffLine } from "./parse-diff";

export type DiffViewMode = "unified" | "split";

export type BodyRow =
  | { kind: "hunk"; hunk: DiffHunk }
  | { kind: "line"; line: DiffLine }
  | { kind: "split"; left: DiffLine | null; right: DiffLine | null };

/** One line of code at the diff's font: rows are this tall unless a long line wraps. */
export const ROW_PX = 20;
/** The file header's height (fixed, so that a file's rows start at a known offset). */
export const HEADER_PX = 36;
/** The note under a header (binary file, mode change, "Load diff"). */
export const NOTE_PX = 42;
/** Space between two files. */
export const GAP_PX = 12;
/** A file's box has a 1 px border, above its header and below its body. */
export const SECTION_BORDERS_PX = 2;
/** Files longer than this start collapsed behind "Load diff". */
export const LARGE_FILE_ROWS = 400;

export function bodyRows(file: DiffFile, mode: DiffViewMode): BodyRow[] {
  const rows: BodyRow[] = [];
  for (const hunk of file.hunks) {
    rows.push({ kind: "hunk", hunk });
    if (mode === "split") for (const r of toSplitRows(hunk)) rows.push({ kind: "split", left: r.left, right: r.right });
    else for (const line of hunk.lines) rows.push({ kind: "line", line });
  }
  return rows;
}

/** The row of a file's body that shows new-side line `newNo` (or the nearest after it), for citations. */
export function rowOfNewLine(rows: readonly BodyRow[], newNo: number): number {
  let best = -1;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const line = r.kind === "line" ? r.line : r.kind === "split" ? r.right : null;
    if (!line || line.newNo === null || line.type === "del") continue;
    if (line.newNo === newNo) return i;
    if (line.newNo > newNo && best < 0) best = i;
  }
  return best;
}

/** What a file shows under its header. */
export type FileBodyKind = "rows" | "collapsed" | "large" | "note" | "none";

export function bodyKind(file: DiffFile, open: boolean): FileBodyKind {
  const hasRows = !file.binary && file.hunks.length > 0;
  if (!hasRows) return open ? "note" : "none";
  if (open) return "rows";
  return file.rowCount > LARGE_FILE_ROWS ? "large" : "collapsed";
}

/** A file's height before anything is measured: exact unless long lines wrap. */
export function estimateFileHeight(file: DiffFile, open: boolean, mode: DiffViewMode): number {
  const kind = bodyKind(file, open);
  const rows = mode === "split" && kind === "rows" ? splitRowCount(file) : file.rowCount;
  const body = kind === "rows" ? rows * ROW_PX : kind === "large" || kind === "note" ? NOTE_PX : 0;
  return SECTION_BORDERS_PX + HEADER_PX + body + GAP_PX;
}

function splitRowCount(file: DiffFile): number {
  let n = 0;
  for (const h of file.hunks) n += 1 + toSplitRows(h).length;
  return n;
}

const SIGN = { add: "+", del: "-", context: " " } as const;

/**
 * One file's part of the diff as patch text (what its "Copy" button copies: with rows virtualized, selecting a long
 * file's lines by hand is not practical). Binary contents and mode-only headers are left out.
 */
export function filePatch(file: DiffFile): string {
  const a = file.oldPath ?? file.path;
  const b = file.newPath ?? file.path;
  const out = [`diff --git a/${a} b/${b}`, file.oldPath ? `--- a/${a}` : "--- /dev/null", file.newPath ? `+++ b/${b}` : "+++ /dev/null"];
  for (const hunk of file.hunks) {
    out.push(hunk.header);
    for (const line of hunk.lines) {
      out.push(SIGN[line.type] + line.content);
      if (line.noNewline) out.push("\\ No newline at end of file");
    }
  }
  return out.join("\n") + "\n";
}
