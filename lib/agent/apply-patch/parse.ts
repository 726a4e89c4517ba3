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
const ADD = "*** Add File: ";
const DELETE = "*** Delete File: ";
const UPDATE = "*** Update File: ";
const MOVE = "*** Move to: ";
const EOF_MARKER = "*** End of File";

function isFileHeader(line: string): boolean {
  return line.startsWith(ADD) || line.startsWith(DELETE) || line.startsWith(UPDATE);
}

/** Models often wrap the patch in a shell heredoc (`apply_patch <<'EOF' … EOF`); unwrap it. */
function unwrapHeredoc(lines: string[]): string[] {
  if (lines.length >= 2 && /<<\s*['"]?(\w+)['"]?\s*$/.test(lines[0])) {
    const tag = /<<\s*['"]?(\w+)['"]?\s*$/.exec(lines[0])![1];
    const last = lines[lines.length - 1].trim();
    return last === tag ? lines.slice(1, -1) : lines.slice(1);
  }
  return lines;
}

/**
 * Parses the Codex `*** Begin Patch` grammar. A malformed file section is reported as a failure for that file and
 * skipped, so the well-formed sections can still be applied.
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
  const endIndex = lines.findIndex((l, i) => i > 0 && l.trim() === END);
  if (endIndex < 0) {
    return { ops, failures: [{ path: "", message: `invalid patch: the last line must be '${END}'` }] };
  }
  const body = lines.slice(1, endIndex);
  if (body.every((l) => l.trim() === "")) return { ops, failures: [{ path: "", message: "empty patch: no file operations" }] };

  let i = 0;
  const skipToNextHeader = () => {
    i++;
    while (i < body.length && !isFileHeader(body[i])) i++;
  };

  while (i < body.length) {
    const line = body[i];
    const lineNo = i + 2;
    if (line.trim() === "") {
      i++;
      continue;
    }
    if (line.startsWith(ADD)) {
      const path = line.slice(ADD.length).trim();
      i++;
      const content: string[] = [];
      let bad: string | null = null;
      while (i < body.length && !isFileHeader(body[i])) {
        const l = body[i];
        if (l.startsWith("+")) content.push(l.slice(1));
        else if (l === "") content.push("");
        else if (bad === null) bad = `line ${i + 2}: every line of an added file must start with '+', got ${JSON.stringify(l)}`;
        i++;
      }
      // Blank (unprefixed) lines before the next header are patch formatting, not content.
      for (let j = i - 1; j >= 0 && body[j] === "" && content.length > 0; j--) content.pop();
      if (bad) failures.push({ path, message: `invalid Add File section: ${bad}` });
      else if (!path) failures.push({ path, message: `line ${lineNo}: Add File header without a path` });
      else ops.push({ kind: "add", path, content: content.length ? content.join("\n") + "\n" : "" });
      continue;
    }
    if (line.startsWith(DELETE)) {
      const path = line.slice(DELETE.length).trim();
      if (!path) failures.push({ path, message: `line ${lineNo}: Delete File header without a path` });
      else ops.push({ kind: "delete", path });
      i++;
      continue;
    }
    if (line.startsWith(UPDATE)) {
      const path = line.slice(UPDATE.length).trim();
      i++;
      let moveTo: string | undefined;
      if (i < body.length && body[i].startsWith(MOVE)) {
        moveTo = body[i].slice(MOVE.length).trim();
        i++;
      }
      const hunks: Hunk[] = [];
      let current: Hunk | null = null;
      let bad: string | null = null;
      while (i < body.length && !isFileHeader(body[i])) {
        const l = body[i];
        if (l.startsWith("@@")) {
          const header = l.slice(2).trim();
          current = { header: header || undefined, lines: [], endOfFile: false };
          hunks.push(current);
        } else if (l.trim() === EOF_MARKER) {
          if (current) current.endOfFile = true;
          else if (bad === null) bad = `line ${i + 2}: '${EOF_MARKER}' outside a hunk`;
        } else if (l.startsWith(" ") || l.startsWith("-") || l.startsWith("+") || l === "") {
          if (!current) {
            // The first hunk may omit its `@@` line.
            current = { lines: [], endOfFile: false };
            hunks.push(current);
          }
          if (current.endOfFile && bad === null) bad = `line ${i + 2}: hunk lines after '${EOF_MARKER}'`;
          const kind = (l === "" ? " " : l[0]) as HunkLine["kind"];
          current.lines.push({ kind, text: l.slice(1) });
        } else if (bad === null) {
          bad = `line ${i + 2}: bad hunk line ${JSON.stringify(l)} (expected '@@', ' ', '-', '+' or '${EOF_MARKER}')`;
        }
        i++;
      }
      if (!path) bad = bad ?? `line ${lineNo}: Update File header without a path`;
      else if (moveTo === "") bad = bad ?? `line ${lineNo + 1}: Move to header without a path`;
      else if (!moveTo && hunks.length === 0) bad = bad ?? "Update File section has no hunks";
      else if (hunks.some((h) => h.lines.length === 0)) bad = bad ?? "a hunk has no lines";
      else if (hunks.some((h) => h.lines.every((x) => x.kind === " "))) bad = bad ?? "a hunk has no '-' or '+' lines";
      if (bad) failures.push({ path, message: `invalid Update File section: ${bad}` });
      else ops.push({ kind: "update", path, moveTo, hunks });
      continue;
    }
    failures.push({
      path: "",
      message: `line ${lineNo}: bad header ${JSON.stringify(line)}; expected '${ADD}<path>', '${DELETE}<path>' or '${UPDATE}<path>'`,
    });
    skipToNextHeader();
  }
  return { ops, failures };
}
