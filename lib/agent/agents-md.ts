import "server-only";

export const AGENTS_MD_MAX_BYTES = 32 * 1024;
const NAMES = ["AGENTS.override.md", "AGENTS.md"] as const;

/** Reads a workspace-relative file (LinkFollowingReader: links only inside the checkout); null when missing. */
export type WorkspaceReader = { read(path: string): Promise<string | null> };

export type AgentsMdFile = { path: string; scope: string; bytes: number; truncated: boolean };
export type AgentsMd = { text: string; files: AgentsMdFile[]; skipped: { path: string; reason: string }[] };

/** The directory chain from the root to `dir`, root first: "" , "a", "a/b". */
function chain(dir: string): string[] {
  const parts = dir.split("/").filter((p) => p && p !== ".");
  if (parts.includes("..")) return [""];
  const out = [""];
  for (let i = 1; i <= parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

/** The directory of a workspace-relative file path. */
export function dirOf(filePath: string): string {
  const i = filePath.lastIndexOf("/");
  return i < 0 ? "" : filePath.slice(0, i);
}

function cutUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8");
}

/**
 * Collects AGENTS.md guidance for the given workspace-relative directories: per directory from the root down,
 * `AGENTS.override.md` else `AGENTS.md`, skipping empty files. Root first, so later (deeper) files win; capped at
 * `maxBytes` in all.
 */
export async function loadAgentsMd(opts: { reader: WorkspaceReader; dirs: string[]; maxBytes?: number }): Promise<AgentsMd> {
  const maxBytes = opts.maxBytes ?? AGENTS_MD_MAX_BYTES;
  const dirs = [...new Set(opts.dirs.flatMap(chain))].sort((a, b) => {
    const da = a === "" ? 0 : a.split("/").length;
    const db = b === "" ? 0 : b.split("/").length;
    return da - db || a.localeCompare(b);
  });
  const files: AgentsMdFile[] = [];
  const skipped: AgentsMd["skipped"] = [];
  const sections: string[] = [];
  let budget = maxBytes;
  for (const dir of dirs) {
    for (const name of NAMES) {
      const path = dir ? `${dir}/${name}` : name;
      let content: string | null;
      try {
        content = await opts.reader.read(path);
      } catch (err) {
        skipped.push({ path, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      // A missing or empty file adds nothing; an empty AGENTS.override.md leaves AGENTS.md in charge.
      if (content === null || content.trim() === "") continue;
      const scope = dir ? `${dir}/` : "the whole repository";
      if (budget <= 0) {
        skipped.push({ path, reason: `over the ${maxBytes}-byte limit for AGENTS.md files` });
        break;
      }
      const kept = cutUtf8(content.trim(), budget);
      const bytes = Buffer.byteLength(kept, "utf8");
      const truncated = kept.length < content.trim().length;
      budget -= bytes;
      files.push({ path, scope, bytes, truncated });
      sections.push(`## ${path} (applies to ${scope})\n\n${kept}${truncated ? "\n\n[… truncated: AGENTS.md files are limited to 32 KiB in all]" : ""}`);
      break; // AGENTS.override.md replaces AGENTS.md in the same directory
    }
  }
  const text = sections.length
    ? [
        "# AGENTS.md instructions",
        "The repository contains these AGENTS.md files. A file applies to the directory tree it sits in; when they disagree, the deeper file wins, and the user's request overrides them all. Run the checks they list after making changes.",
        ...sections,
      ].join("\n\n")
    : "";
  return { text, files, skipped };
}
