import "server-only";

import type { PatchChange, PatchFailure, PatchFs, PatchResult } from "../types";
import { parsePatch, type Hunk } from "./parse";

export type ApplyPatchOptions = {
  /** Absolute paths under this root (the sandbox's view of the workspace) are accepted and made relative. */
  workspaceRoot?: string;
};

export class PatchPathError extends Error {}

/** Normalizes a patch path to a clean workspace-relative path, or throws PatchPathError. */
export function normalizePatchPath(raw: string, workspaceRoot = "/workspace"): string {
  let p = raw.trim().replace(/\\/g, "/");
  if (p === "") throw new PatchPathError("empty path");
  const root = workspaceRoot.replace(/\/+$/, "");
  if (root && (p === root || p.startsWith(root + "/"))) p = p.slice(root.length + 1);
  if (p.startsWith("/") || /^[a-zA-Z]:\//.test(p)) {
    throw new PatchPathError(`absolute path ${JSON.stringify(raw)} is outside the workspace; use a path relative to the workspace root`);
  }
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw new PatchPathError(`path ${JSON.stringify(raw)} escapes the workspace ('..' is not allowed)`);
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

const normalizers: ((s: string) => string)[] = [(s) => s, (s) => s.trimEnd(), (s) => s.trim()];

function matchesAt(lines: string[], pattern: string[], at: number, norm: (s: string) => string): boolean {
  if (at < 0 || at + pattern.length > lines.length) return false;
  for (let k = 0; k < pattern.length; k++) if (norm(lines[at + k]) !== norm(pattern[k])) return false;
  return true;
}

/** Finds `pattern` at or after `from`: exact first, then ignoring trailing whitespace, then fully trimmed. */
function seek(lines: string[], pattern: string[], from: number, atEnd: boolean): number {
  for (const norm of normalizers) {
    if (atEnd) {
      const at = lines.length - pattern.length;
      if (at >= from && matchesAt(lines, pattern, at, norm)) return at;
    }
    for (let at = from; at + pattern.length <= lines.length; at++) if (matchesAt(lines, pattern, at, norm)) return at;
  }
  return -1;
}

function quote(lines: string[]): string {
  const shown = lines.slice(0, 12).map((l) => `  | ${l}`);
  if (lines.length > 12) shown.push(`  | … (${lines.length - 12} more lines)`);
  return shown.join("\n");
}

class HunkError extends Error {}

function applyHunks(content: string, hunks: Hunk[], path: string): string {
  const file = splitFile(content);
  const lines = file.lines;
  let cursor = 0;
  hunks.forEach((hunk, index) => {
    const label = `hunk ${index + 1} of ${hunks.length}${hunk.header ? ` (@@ ${hunk.header})` : ""}`;
    const headerAt = hunk.header ? seek(lines, [hunk.header], cursor, false) : -1;
    const from = headerAt >= 0 ? headerAt : cursor;
    let body = hunk.lines;
    const old = () => body.filter((l) => l.kind !== "+").map((l) => l.text);
    if (old().length === 0) {
      // Pure insertion: after the header line when there is one, else at the end of the file.
      const at = headerAt >= 0 && !hunk.endOfFile ? headerAt + 1 : lines.length;
      const added = body.map((l) => l.text);
      lines.splice(at, 0, ...added);
      cursor = at + added.length;
      return;
    }
    // A header that is also the hunk's first context line must still match: search from the header itself.
    let at = seek(lines, old(), from, hunk.endOfFile);
    if (at < 0 && from !== cursor) at = seek(lines, old(), cursor, hunk.endOfFile);
    if (at < 0) {
      // Models often add blank context lines at the edges of a hunk; retry without them.
      let s = 0;
      let e = body.length;
      while (s < e && body[s].kind === " " && body[s].text.trim() === "") s++;
      while (e > s && body[e - 1].kind === " " && body[e - 1].text.trim() === "") e--;
      if (s > 0 || e < body.length) {
        const trimmed = body.slice(s, e);
        if (trimmed.some((l) => l.kind !== "+")) {
          body = trimmed;
          at = seek(lines, old(), cursor, hunk.endOfFile);
        }
      }
    }
    if (at < 0) {
      const where = cursor > 0 ? ` after line ${cursor}` : "";
      throw new HunkError(
        `context not found in ${path} (${label})${where}${hunk.endOfFile ? " at the end of the file" : ""}; expected these lines:\n${quote(
          hunk.lines.filter((l) => l.kind !== "+").map((l) => l.text),
        )}`,
      );
    }
    const replacement: string[] = [];
    let k = at;
    for (const l of body) {
      if (l.kind === " ") replacement.push(lines[k++]); // keep the file's own whitespace on context lines
      else if (l.kind === "-") k++;
      else replacement.push(l.text);
    }
    lines.splice(at, k - at, ...replacement);
    cursor = at + replacement.length;
  });
  if (lines.length > 0 && content === "") file.trailingNewline = true;
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
  const norm = (p: string) => normalizePatchPath(p, options.workspaceRoot);

  for (const op of parsed.ops) {
    let path = op.path;
    try {
      path = norm(op.path);
      if (op.kind === "add") {
        if ((await fs.read(path)) !== null) throw new HunkError(`cannot add ${path}: the file already exists (use Update File)`);
        await fs.write(path, op.content);
        changed.push({ path, kind: "add" });
      } else if (op.kind === "delete") {
        if ((await fs.read(path)) === null) throw new HunkError(`cannot delete ${path}: no such file`);
        await fs.remove(path);
        changed.push({ path, kind: "delete" });
      } else {
        const current = await fs.read(path);
        if (current === null) throw new HunkError(`cannot update ${path}: no such file`);
        const next = op.hunks.length ? applyHunks(current, op.hunks, path) : current;
        if (op.moveTo) {
          const dest = norm(op.moveTo);
          if (dest !== path && (await fs.read(dest)) !== null) throw new HunkError(`cannot move ${path} to ${dest}: the destination already exists`);
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
