import "server-only";

export type HunkLine = { kind: " " | "-" | "+"; text: string };
export type Hunk = { header?: string; lines: HunkLine[]; endOfFile: boolean };

export type FileOp =
  | { kind: "add"; path: string; content: string }
  | { kind: "delete"; path: string }
  | { kind: "update"; path: string; moveTo?: string; hunks: Hunk[] };

export type ParseFailure = { path: string; message: string };
export type ParsedPatch = { ops: FileOp[]; failures: ParseFailure[] };

const BEGIN = "*** Begin Patch";
const END = "*** End Patch";
const EOF_MARKER = "*** End of File";
const FILE_HEADER = /^\*\*\* (Add|Delete|Update) File:(.*)$/;
const MOVE = /^\*\*\* Move to:(.*)$/;
/** `@@ -12,7 +12,8 @@ optional function`: a unified-diff range, which says nothing about where the hunk goes. */
const UNIFIED_RANGE = /^-\d+(?:,\d+)?\s+\+\d+(?:,\d+)?\s*@@\s*(.*)$/;

type Header = { kind: "add" | "delete" | "update"; path: string };

/**
 * A file header, tolerating spaces around it as Codex does. Inside an Update section a line with exactly one leading
 * space is a context line (the diff prefix), even when the context itself reads like a header.
 */
function fileHeader(line: string, inHunk: boolean): Header | null {
  if (inHunk && /^ \S/.test(line)) return null;
  const m = FILE_HEADER.exec(line.trim());
  if (!m) return null;
  return { kind: m[1].toLowerCase() as Header["kind"], path: m[2].trim() };
}

function isEndOfFile(line: string): boolean {
  return line.trim() === EOF_MARKER;
}

/** Models often wrap the patch in a shell heredoc (`apply_patch <<'EOF' … EOF`, or just `<<EOF … EOF`); unwrap it. */
function unwrapHeredoc(lines: string[]): string[] {
  const m = /<<-?\s*(['"]?)(\w+)\1\s*$/.exec(lines[0] ?? "");
  if (!m || lines[0].trim() === BEGIN) return lines;
  const tag = m[2];
  const last = lines[lines.length - 1]?.trim() ?? "";
  return last === tag || (last.endsWith(tag) && last !== END) ? lines.slice(1, -1) : lines.slice(1);
}

/** The text of an `@@` line, or undefined for a bare `@@` or a unified-diff range without a function name. */
function hunkHeader(line: string): string | undefined {
  const text = line.slice(2).trim();
  const range = UNIFIED_RANGE.exec(text);
  const header = range ? range[1].trim() : text;
  return header || undefined;
}

/** Unprefixed blank lines at the end of a hunk are patch formatting (before `@@`, a file header, `*** End of File` or `*** End Patch`). */
function dropTrailingSeparators(hunk: Hunk, rawBlank: boolean[]): void {
  while (hunk.lines.length > 0 && rawBlank[hunk.lines.length - 1]) {
    hunk.lines.pop();
    rawBlank.pop();
  }
}

/**
 * Parses the Codex `*** Begin Patch` grammar, as leniently as Codex does: markers may carry surrounding spaces, blank
 * lines may sit around `*** End of File` and `*** End Patch`, the first hunk may omit its `@@` line. A malformed file
 * section is reported as a failure for that file and skipped, so the well-formed sections can still be applied.
 */
export function parsePatch(text: string): ParsedPatch {
  const failures: ParseFailure[] = [];
  const ops: FileOp[] = [];
  const normalized = text.replace(/\r\n/g, "\n").trim();
  if (normalized === "") return { ops, failures: [{ path: "", message: "empty patch" }] };

  const lines = unwrapHeredoc(normalized.split("\n"));
  if (lines[0]?.trim() !== BEGIN) {
    return { ops, failures: [{ path: "", message: `invalid patch: the first line must be '${BEGIN}'` }] };
  }
  let endIndex = -1;
  for (let k = lines.length - 1; k > 0; k--) {
    if (lines[k].trim() === END) {
      endIndex = k;
      break;
    }
  }
  if (endIndex < 0) {
    return { ops, failures: [{ path: "", message: `invalid patch: the last line must be '${END}'` }] };
  }
  const body = lines.slice(1, endIndex);
  if (body.every((l) => l.trim() === "")) return { ops, failures: [{ path: "", message: "empty patch: no file operations" }] };

  let i = 0;
  const lineNo = () => i + 2;
  const skipToNextHeader = () => {
    i++;
    while (i < body.length && !fileHeader(body[i], false)) i++;
  };

  while (i < body.length) {
    const line = body[i];
    if (line.trim() === "") {
      i++;
      continue;
    }
    const header = fileHeader(line, false);
    if (!header) {
      failures.push({
        path: "",
        message: `line ${lineNo()}: bad header ${JSON.stringify(line)}; expected '*** Add File: <path>', '*** Delete File: <path>' or '*** Update File: <path>'`,
      });
      skipToNextHeader();
      continue;
    }
    const { path } = header;
    const headerLine = lineNo();
    i++;

    if (header.kind === "add") {
      const content: string[] = [];
      let bad: string | null = null;
      while (i < body.length && !fileHeader(body[i], false)) {
        const l = body[i];
        if (l.startsWith("+")) content.push(l.slice(1));
        else if (l.trim() === "") content.push("");
        else if (bad === null) bad = `line ${lineNo()}: every line of an added file must start with '+', got ${JSON.stringify(l)}`;
        i++;
      }
      // Blank (unprefixed) lines before the next header are patch formatting, not content.
      for (let j = i - 1; j >= 0 && body[j].trim() === "" && content.length > 0; j--) content.pop();
      if (bad) failures.push({ path, message: `invalid Add File section: ${bad}` });
      else if (!path) failures.push({ path, message: `line ${headerLine}: Add File header without a path` });
      else ops.push({ kind: "add", path, content: content.length ? content.join("\n") + "\n" : "" });
      continue;
    }

    if (header.kind === "delete") {
      if (!path) failures.push({ path, message: `line ${headerLine}: Delete File header without a path` });
      else ops.push({ kind: "delete", path });
      continue;
    }

    let moveTo: string | undefined;
    const move = i < body.length ? MOVE.exec(body[i].trim()) : null;
    if (move) {
      moveTo = move[1].trim();
      i++;
    }
    const hunks: Hunk[] = [];
    let current: Hunk | null = null;
    let rawBlank: boolean[] = [];
    let bad: string | null = null;
    const close = () => {
      if (current) dropTrailingSeparators(current, rawBlank);
    };
    while (i < body.length && !fileHeader(body[i], true)) {
      const l = body[i];
      if (l.startsWith("@@")) {
        close();
        current = { header: hunkHeader(l), lines: [], endOfFile: false };
        rawBlank = [];
        hunks.push(current);
      } else if (isEndOfFile(l)) {
        close();
        if (current) current.endOfFile = true;
        else if (bad === null) bad = `line ${lineNo()}: '${EOF_MARKER}' outside a hunk`;
      } else if (current?.endOfFile && l.trim() === "") {
        // blank lines after *** End of File are formatting
      } else if (l.startsWith(" ") || l.startsWith("-") || l.startsWith("+") || l === "") {
        if (!current) {
          // The first hunk may omit its `@@` line.
          current = { lines: [], endOfFile: false };
          rawBlank = [];
          hunks.push(current);
        }
        if (current.endOfFile) {
          if (bad === null) bad = `line ${lineNo()}: hunk lines after '${EOF_MARKER}'; start another hunk with an '@@' line`;
        } else {
          const kind = (l === "" ? " " : l[0]) as HunkLine["kind"];
          current.lines.push({ kind, text: l.slice(1) });
          rawBlank.push(l === "");
        }
      } else if (bad === null) {
        bad = `line ${lineNo()}: bad hunk line ${JSON.stringify(l)} (each line of a hunk starts with ' ', '-' or '+'; hunks start with '@@')`;
      }
      i++;
    }
    close();
    if (!path) bad = bad ?? `line ${headerLine}: Update File header without a path`;
    else if (moveTo === "") bad = bad ?? `line ${headerLine + 1}: Move to header without a path`;
    else if (!moveTo && hunks.length === 0) bad = bad ?? "Update File section has no hunks";
    else if (hunks.some((h) => h.lines.length === 0)) bad = bad ?? "a hunk has no lines";
    else if (hunks.some((h) => h.lines.every((x) => x.kind === " "))) bad = bad ?? "a hunk has no '-' or '+' lines";
    if (bad) failures.push({ path, message: `invalid Update File section: ${bad}` });
    else ops.push({ kind: "update", path, moveTo, hunks });
  }
  return { ops, failures };
}
