import "server-only";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { unsearchableAncestor, type HostUser } from "@/lib/sandbox/host-user";

/**
 * The folder of an engine's binaries as the sandbox user can bind it. bwrap runs as that user, so a package under
 * a folder it cannot walk through (Patchbay cloned into /root, or into a `mktemp -d`, both mode 700) cannot be
 * bound from where npm put it. Such a package is staged once into the data folder, which the runner already keeps
 * reachable for the workspaces: hard links when both are on one file system (no space, no time), else a copy.
 * The staged folder is named after the package's files (path, size, mtime), so an upgrade stages anew; the older
 * staging of the same package is removed once unused for a day.
 */

export class EngineUnreachable extends Error {
  readonly code = "engine_unreachable";
}

export async function reachableEngineDir(opts: { dir: string; label: string; dataDir: string; user: HostUser | null }): Promise<string> {
  if (!opts.user) return opts.dir; // not root: bwrap runs as the runner's own user, who installed it
  const user = opts.user;
  if (!(await unsearchableAncestor(opts.dir, user))) return opts.dir;
  // Listed at every attempt (a few dozen lstat calls) so that an upgrade under a running runner is staged too;
  // two attempts staging at once both build, one rename wins.
  const dir = await stage(opts.dir, path.join(opts.dataDir, "engines"));
  const blocked = await unsearchableAncestor(dir, user);
  if (blocked) {
    throw new EngineUnreachable(
      `${opts.label} is installed in ${opts.dir}, which the sandbox user cannot reach, and neither can it reach the data folder ` +
        `(${blocked} is not searchable by others). Run chmod o+x ${blocked}, or set PATCHBAY_DATA_DIR to a folder others can reach.`,
    );
  }
  return dir;
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(() => true, () => false);
}

type Entry = { rel: string; kind: "dir" | "file" | "link"; mode: number; size: number; mtimeMs: number };

async function listTree(root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const walk = async (rel: string) => {
    for (const name of (await fs.readdir(path.join(root, rel))).sort()) {
      const r = path.join(rel, name);
      const st = await fs.lstat(path.join(root, r));
      const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : st.isFile() ? "file" : null;
      if (!kind) continue; // sockets and devices have no place in a package
      out.push({ rel: r, kind, mode: st.mode & 0o7777, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) });
      if (kind === "dir") await walk(r);
    }
  };
  await walk("");
  return out;
}

async function stage(source: string, enginesDir: string): Promise<string> {
  const tree = await listTree(source);
  const digest = createHash("sha256").update(source).update(JSON.stringify(tree)).digest("hex").slice(0, 16);
  const prefix = `${path.basename(source)}-`;
  const target = path.join(enginesDir, `${prefix}${digest}`);
  if (await exists(target)) return touch(target);

  await fs.mkdir(enginesDir, { recursive: true, mode: 0o755 });
  await fs.chmod(enginesDir, 0o755);
  const tmp = `${target}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    await fs.mkdir(tmp, { mode: 0o755 });
    for (const e of tree) {
      const from = path.join(source, e.rel);
      const to = path.join(tmp, e.rel);
      if (e.kind === "dir") await fs.mkdir(to, { mode: e.mode | 0o755 });
      else if (e.kind === "link") await fs.symlink(await fs.readlink(from), to);
      else {
        try {
          await fs.link(from, to);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EXDEV" && (error as NodeJS.ErrnoException).code !== "EPERM") throw error;
          await fs.copyFile(from, to, fs.constants.COPYFILE_FICLONE);
          await fs.chmod(to, e.mode);
        }
      }
    }
    await fs.rename(tmp, target);
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    if (await exists(target)) return touch(target); // another runner staged it first
    throw error;
  }
  // The same package's earlier stagings (before an upgrade) go once no attempt has used them for a day (an attempt
  // binds its engine at every command, so one still running must keep it), so that copies do not pile up.
  for (const name of await fs.readdir(enginesDir)) {
    const other = path.join(enginesDir, name);
    if (!name.startsWith(prefix) || other === target) continue;
    const st = await fs.stat(other).catch(() => null);
    if (st && Date.now() - st.mtimeMs > UNUSED_MS) await fs.rm(other, { recursive: true, force: true });
  }
  return target;
}

const UNUSED_MS = 24 * 3600_000;

/** Marks a staging as in use (its mtime), so that the clean-up above leaves it. */
async function touch(dir: string): Promise<string> {
  const now = new Date();
  await fs.utimes(dir, now, now).catch(() => undefined);
  return dir;
}
