import "server-only";

import { constants as C, promises as fsp, realpathSync } from "node:fs";
import path from "node:path";

import { normalizePatchPath } from "./apply-patch/apply";
import type { PatchFs } from "./types";

/** Refusals of the host-side workspace access; the message is safe to show to the model. */
export class WorkspaceFsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkspaceFsError";
  }
}

export type WorkspaceFsOptions = {
  /** Largest file read or written, in bytes. */
  maxFileBytes?: number;
};

const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;

/** What the model should do instead when a patch names a symlink (patches never go through links). */
const SYMLINK_HINT = "patch the file it points to by its real path (see `ls -l`), or replace the link with a shell command";

function isErrno(err: unknown, ...codes: string[]): boolean {
  return typeof err === "object" && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? "");
}

/**
 * Host-side file access to a checkout the agent controls. Every path is resolved lexically under the root; `..`,
 * absolute paths and `.git` are refused; no symlink is followed in any component (each directory is lstat'ed, the
 * file is opened with O_NOFOLLOW and the opened descriptor is checked to really sit under the root).
 *
 * Remaining race: a process left running in the sandbox could swap a directory for a symlink between the checks and
 * a `mkdir`/`unlink`; reads and writes are still verified on the opened descriptor.
 */
export class WorkspaceFs implements PatchFs {
  readonly root: string;
  private readonly maxFileBytes: number;

  constructor(root: string, options: WorkspaceFsOptions = {}) {
    this.root = realpathSync(root);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  /** Validates a workspace-relative path and returns its components. */
  private parts(rel: string): string[] {
    let clean: string;
    try {
      clean = normalizePatchPath(rel);
    } catch (err) {
      throw new WorkspaceFsError((err as Error).message);
    }
    const parts = clean.split("/");
    if (parts.some((p) => p.toLowerCase() === ".git")) throw new WorkspaceFsError(`refusing to touch ${clean}: .git is managed by the platform; change files of the working tree only`);
    return parts;
  }

  /**
   * Walks the directory components with lstat. Returns false when one is missing (and `create` is off); throws when
   * one is a symlink or not a directory.
   */
  private async walkDirs(parts: string[], create: boolean): Promise<boolean> {
    let cur = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      cur = path.join(cur, parts[i]);
      const shown = parts.slice(0, i + 1).join("/");
      let st;
      try {
        st = await fsp.lstat(cur);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
        if (!create) return false;
        await fsp.mkdir(cur).catch((e: unknown) => {
          if (!isErrno(e, "EEXIST")) throw e;
        });
        st = await fsp.lstat(cur);
      }
      if (st.isSymbolicLink()) throw new WorkspaceFsError(`refusing to follow the symlink ${shown}; ${SYMLINK_HINT}`);
      if (!st.isDirectory()) throw new WorkspaceFsError(`${shown} is not a directory`);
    }
    return true;
  }

  /** Checks that an open descriptor is a regular file under the root (defeats directory swaps after the lstat walk). */
  private async verifyFd(handle: fsp.FileHandle, rel: string, write: boolean): Promise<void> {
    const st = await handle.stat();
    if (!st.isFile()) throw new WorkspaceFsError(`${rel} is not a regular file`);
    if (write && st.nlink > 1) throw new WorkspaceFsError(`refusing to write ${rel}: it is a hard link`);
    let real: string | null = null;
    try {
      real = await fsp.readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      real = null; // no /proc (not Linux): the lstat walk and O_NOFOLLOW remain
    }
    if (real !== null && real !== path.join(this.root, rel)) {
      throw new WorkspaceFsError(`refusing ${rel}: it resolves outside the workspace`);
    }
  }

  async read(rel: string): Promise<string | null> {
    const bytes = await this.readBytes(rel);
    return bytes === null ? null : bytes.toString("utf8");
  }

  /** The file's bytes (view_image), with the same checks as `read`. */
  async readBytes(rel: string): Promise<Buffer | null> {
    const parts = this.parts(rel);
    const clean = parts.join("/");
    if (!(await this.walkDirs(parts, false))) return null;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path.join(this.root, clean), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return null;
      if (isErrno(err, "ELOOP")) throw new WorkspaceFsError(`refusing to follow the symlink ${clean}; ${SYMLINK_HINT}`);
      if (isErrno(err, "EISDIR")) throw new WorkspaceFsError(`${clean} is a directory`);
      throw err;
    }
    try {
      await this.verifyFd(handle, clean, false);
      const st = await handle.stat();
      if (st.size > this.maxFileBytes) throw new WorkspaceFsError(`${clean} is too large (${st.size} bytes)`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async write(rel: string, content: string): Promise<void> {
    const parts = this.parts(rel);
    const clean = parts.join("/");
    const bytes = Buffer.from(content, "utf8");
    if (bytes.length > this.maxFileBytes) throw new WorkspaceFsError(`refusing to write ${clean}: too large (${bytes.length} bytes)`);
    await this.walkDirs(parts, true);
    let handle: fsp.FileHandle;
    try {
      // No O_TRUNC: the descriptor is verified before anything is changed.
      handle = await fsp.open(path.join(this.root, clean), C.O_WRONLY | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK, 0o644);
    } catch (err) {
      if (isErrno(err, "ELOOP")) throw new WorkspaceFsError(`refusing to write through the symlink ${clean}; ${SYMLINK_HINT}`);
      if (isErrno(err, "EISDIR")) throw new WorkspaceFsError(`${clean} is a directory`);
      throw err;
    }
    try {
      await this.verifyFd(handle, clean, true);
      await handle.truncate(0);
      await handle.write(bytes, 0, bytes.length, 0);
    } finally {
      await handle.close();
    }
  }

  async remove(rel: string): Promise<void> {
    const parts = this.parts(rel);
    const clean = parts.join("/");
    if (!(await this.walkDirs(parts, false))) throw new WorkspaceFsError(`cannot delete ${clean}: no such file`);
    const full = path.join(this.root, clean);
    const st = await fsp.lstat(full);
    if (st.isDirectory()) throw new WorkspaceFsError(`${clean} is a directory`);
    // unlink removes a symlink itself, never its target.
    await fsp.unlink(full);
  }
}

export function createWorkspaceFs(root: string, options?: WorkspaceFsOptions): WorkspaceFs {
  return new WorkspaceFs(root, options);
}
