import "server-only";

import type { PatchChange, PatchFailure, PatchFs, PatchResult } from "../types";
import { parsePatch, type Hunk, type HunkLine } from "./parse";
import { seekSequence } from "./seek";

export type ApplyPatchOptions = {
  /** Absolute paths under this root (the sandbox's view of the workspace) are accepted and made relative. */
  workspaceRoot?: string;
  /** Workspace-relative directory that relative patch paths are resolved against (a shell command's workdir). */
  baseDir?: string;
};

export class PatchPathError extends Error {}

/**
 * Normalizes a patch path to a clean workspace-relative path, or throws PatchPathError. `..` is refused, except
 * under a `baseDir` (relative paths of a patch sent from `cd pkg && apply_patch …`), where it is resolved lexically
 * (no link is ever followed) and may not climb above the workspace root.
 */
export function normalizePatchPath(raw: string, workspaceRoot = "/workspace", baseDir = ""): string {
  let p = raw.trim().replace(/\\/g, "/");
  if (p === "") throw new PatchPathError("empty path");
  const root = workspaceRoot.replace(/\/+$/, "");
  let base = baseDir;
  if (root && (p === root || p.startsWith(root + "/"))) {
    p = p.slice(root.length + 1);
    base = "";
  }
  if (p.startsWith("/") || /^[a-zA-Z]:\//.test(p)) {
    throw new PatchPathError(`absolute path ${JSON.stringify(raw)} is outside the workspace; use a path relative to the workspace root`);
  }
  const parts: string[] = [];
  for (const s of `${base}/${p}`.split("/")) {
    if (s === "" || s === ".") continue;
    if (s !== "..") parts.push(s);
    else if (base === "" || parts.length === 0) throw new PatchPathError(`path ${JSON.stringify(raw)} escapes the workspace ('..' is not allowed)`);
    else parts.pop();
  }
  if (parts.length === 0) throw new PatchPathError(`path ${JSON.stringify(raw)} names the workspace root, not a file`);
  return parts.join("/");
}

type SplitFile = { lines: string[]; eol: "\n" | "\r\n"; trailingNewline: boolean };

function splitFile(content: string): SplitFile {
  const eol = content.includes("\r\n") ? "\r\n" : "\n";
  const trailingNewline = content.endsWith("\n");
  const lines = content.split(/\r?\n/);
  if (trailingNewline) lines.pop();
  if (content === "") lines.length = 0;
  return { lines, eol, trailingNewline };
}

function joinFile(f: SplitFile): string {
  if (f.lines.length === 0) return "";
  return f.lines.join(f.eol) + (f.trailingNewline ? f.eol : "");
}

function quote(lines: string[]): string {
  const shown = lines.slice(0, 12).map((l) => `  | ${l}`);
  if (lines.length > 12) shown.push(`  | … (${lines.length - 12} more lines)`);
  return shown.join("\n");
}

class HunkError extends Error {}

type Replacement = { at: number; oldLength: number; lines: string[]; hunk: number };

/** Blank context lines at the edges of a hunk, which models often add although the file has none there. */
function trimBlankEdges(body: HunkLine[]): HunkLine[] {
  let s = 0;
  let e = body.length;
  while (s < e && body[s].kind === " " && body[s].text.trim() === "") s++;
  while (e > s && body[e - 1].kind === " " && body[e - 1].text.trim() === "") e--;
  return body.slice(s, e);
}

const oldSide = (body: HunkLine[]) => body.filter((l) => l.kind !== "+").map((l) => l.text);

/**
 * Works out where each hunk goes in the original lines, in order, the way Codex does: an `@@` header is looked up
 * first (and must exist), then the hunk's old lines after it. Returns the replacements, to apply bottom-up.
 */
function locateHunks(lines: string[], hunks: Hunk[], path: string): Replacement[] {
  const out: Replacement[] = [];
  let cursor = 0;
  hunks.forEach((hunk, index) => {
    const label = `hunk ${index + 1} of ${hunks.length}${hunk.header ? ` (@@ ${hunk.header})` : ""}`;
    let headerAt = -1;
    if (hunk.header) {
      headerAt = seekSequence(lines, [hunk.header], cursor, false);
      if (headerAt < 0) {
        const where = cursor > 0 ? ` after line ${cursor}` : "";
        throw new HunkError(
          `context not found in ${path} (${label}): no line${where} reads ${JSON.stringify(hunk.header)}. ` +
            "The text after @@ must be a line copied from the file (such as the signature of the enclosing function), " +
            "or leave it out and use a bare @@ line with about 3 lines of context around the change. Read the file again before retrying.",
        );
      }
    }
    let body = hunk.lines;
    if (oldSide(trimBlankEdges(body)).length === 0) {
      // Pure addition: right after the @@ line when there is one (what the model points at), else at the end.
      const at = headerAt >= 0 && !hunk.endOfFile ? headerAt + 1 : lines.length;
      out.push({ at, oldLength: 0, lines: trimBlankEdges(body).map((l) => l.text), hunk: index });
      if (headerAt >= 0) cursor = headerAt + 1;
      return;
    }
    const from = headerAt >= 0 ? headerAt + 1 : cursor;
    let at = seekSequence(lines, oldSide(body), from, hunk.endOfFile);
    // A header that is also the hunk's first context line: search from the header itself.
    if (at < 0 && headerAt >= 0) at = seekSequence(lines, oldSide(body), headerAt, hunk.endOfFile);
    if (at < 0) {
      const trimmed = trimBlankEdges(body);
      if (trimmed.length < body.length) {
        at = seekSequence(lines, oldSide(trimmed), headerAt >= 0 ? headerAt : cursor, hunk.endOfFile);
        if (at >= 0) body = trimmed;
      }
    }
    if (at < 0) {
      const where = headerAt >= 0 ? ` after line ${headerAt + 1}` : cursor > 0 ? ` after line ${cursor}` : "";
      throw new HunkError(
        `context not found in ${path} (${label})${where}${hunk.endOfFile ? " at the end of the file" : ""}; expected these lines:\n${quote(
          oldSide(hunk.lines),
        )}\nThe ' ' and '-' lines of a hunk must match the file's current lines exactly (whitespace differences are tolerated). ` +
          "Read the file again, then send a patch against its current content.",
      );
    }
    const replacement: string[] = [];
    let k = at;
    for (const l of body) {
      if (l.kind === " ") replacement.push(lines[k++]); // keep the file's own whitespace on context lines
      else if (l.kind === "-") k++;
      else replacement.push(l.text);
    }
    out.push({ at, oldLength: k - at, lines: replacement, hunk: index });
    cursor = k;
  });
  return out;
}

function applyHunks(content: string, hunks: Hunk[], path: string): string {
  const file = splitFile(content);
  const replacements = locateHunks(file.lines, hunks, path);
  // Bottom-up, so each replacement's index still refers to the original lines; a pure addition at the end of the
  // file followed by hunks higher up (a common model habit) then works as written. Ties keep patch order.
  const ordered = replacements.map((r, order) => ({ ...r, order })).sort((a, b) => b.at - a.at || b.order - a.order);
  for (let j = 0; j + 1 < ordered.length; j++) {
    const lower = ordered[j];
    const upper = ordered[j + 1];
    if (upper.at + upper.oldLength > lower.at) {
      throw new HunkError(
        `hunks ${upper.hunk + 1} and ${lower.hunk + 1} of ${path} change the same lines; merge them into one hunk`,
      );
    }
  }
  for (const r of ordered) file.lines.splice(r.at, r.oldLength, ...r.lines);
  if (file.lines.length > 0 && content === "") file.trailingNewline = true;
  return joinFile(file);
}

/**
 * Applies a Codex-format patch through `fs`. Each file operation is applied on its own: a failing file is reported
 * and left untouched, the others are still applied, in order.
 */
export async function applyPatch(patchText: string, fs: PatchFs, options: ApplyPatchOptions = {}): Promise<PatchResult> {
  const parsed = parsePatch(patchText);
  const changed: PatchChange[] = [];
  const failures: PatchFailure[] = [...parsed.failures];
  const norm = (p: string) => normalizePatchPath(p, options.workspaceRoot, options.baseDir);

  for (const op of parsed.ops) {
    let path = op.path;
    try {
      path = norm(op.path);
      if (op.kind === "add") {
        if ((await fs.read(path)) !== null) {
          throw new HunkError(
            `cannot add ${path}: the file already exists. To change it, use '*** Update File: ${path}' with hunks; ` +
              `to replace all of its content, put '*** Delete File: ${path}' before '*** Add File: ${path}' in the same patch`,
          );
        }
        await fs.write(path, op.content);
        changed.push({ path, kind: "add" });
      } else if (op.kind === "delete") {
        if ((await fs.read(path)) === null) throw new HunkError(`cannot delete ${path}: no such file (list the directory to check the path)`);
        await fs.remove(path);
        changed.push({ path, kind: "delete" });
      } else {
        const current = await fs.read(path);
        if (current === null) throw new HunkError(`cannot update ${path}: no such file; use '*** Add File: ${path}' to create it`);
        const next = op.hunks.length ? applyHunks(current, op.hunks, path) : current;
        if (op.moveTo) {
          const dest = norm(op.moveTo);
          if (dest !== path && (await fs.read(dest)) !== null) {
            throw new HunkError(`cannot move ${path} to ${dest}: the destination already exists; delete it first in the same patch or pick another name`);
          }
          await fs.write(dest, next);
          if (dest !== path) await fs.remove(path);
          changed.push(dest === path ? { path, kind: "update" } : { path: dest, kind: "move", from: path });
        } else {
          await fs.write(path, next);
          changed.push({ path, kind: "update" });
        }
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      failures.push({ path, message });
    }
  }
  return { changed, failures };
}

/** A short plain-text summary of a patch result, for the model. */
export function formatPatchResult(result: PatchResult): string {
  const out: string[] = [];
  if (result.changed.length) {
    out.push("Applied:");
    for (const c of result.changed) {
      const letter = { add: "A", update: "M", delete: "D", move: "R" }[c.kind];
      out.push(`${letter} ${c.from ? `${c.from} -> ${c.path}` : c.path}`);
    }
  }
  if (result.failures.length) {
    out.push(result.changed.length ? "Failed:" : "The patch was not applied:");
    for (const f of result.failures) out.push(`${f.path ? `${f.path}: ` : ""}${f.message}`);
  }
  if (!out.length) out.push("No changes.");
  return out.join("\n");
}
