import "server-only";

import { promises as fsp } from "node:fs";
import path from "node:path";

import { WorkspaceFs, WorkspaceFsError } from "./workspace-fs";

const MAX_LINKS = 40;
/** The checkout as commands inside the sandbox see it: absolute links made there point under it. */
const SANDBOX_ROOT = "/workspace";

function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function split(p: string): string[] {
  return p.split("/").filter((s) => s !== "" && s !== ".");
}

/**
 * Resolves a workspace-relative path through the symlinks in it, as long as every hop stays inside the checkout
 * (`AGENTS.md -> CLAUDE.md`, `docs -> packages/docs`, or an absolute `/workspace/…` link made in the sandbox).
 * Resolution is lexical, one component at a time with lstat + readlink, so no host path outside the root is ever
 * looked at. Returns the link-free relative path, or null when a component is missing; throws WorkspaceFsError when a
 * link leaves the checkout, enters .git or loops.
 */
export async function resolveWorkspaceLinks(root: string, rel: string): Promise<string | null> {
  const queue = split(rel);
  const resolved: string[] = [];
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === "..") {
      if (resolved.length === 0) throw new WorkspaceFsError(`${rel} leads outside the workspace`);
      resolved.pop();
      continue;
    }
    if (part.toLowerCase() === ".git") throw new WorkspaceFsError(`${rel} leads into .git`);
    const here = [...resolved, part];
    let st;
    try {
      st = await fsp.lstat(path.join(root, ...here));
    } catch (err) {
      if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return null;
      throw err;
    }
    if (!st.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_LINKS) throw new WorkspaceFsError(`too many symlinks while resolving ${rel}`);
    const target = await fsp.readlink(path.join(root, ...here));
    if (path.posix.isAbsolute(target)) {
      const base = [SANDBOX_ROOT, root].find((r) => target === r || target.startsWith(`${r}/`));
      if (!base) throw new WorkspaceFsError(`${here.join("/")} is a symlink to ${target}, outside the workspace`);
      resolved.length = 0;
      queue.unshift(...split(target.slice(base.length)));
    } else {
      queue.unshift(...split(target));
    }
  }
  return resolved.join("/");
}

/**
 * A reader for guidance files (AGENTS.md) that follows symlinks inside the checkout. The file itself is then read
 * with WorkspaceFs, which refuses any link that appeared in between and checks the opened descriptor.
 */
export class LinkFollowingReader {
  constructor(private readonly fs: WorkspaceFs) {}

  async read(rel: string): Promise<string | null> {
    const real = await resolveWorkspaceLinks(this.fs.root, rel);
    return real === null || real === "" ? null : this.fs.read(real);
  }
}
