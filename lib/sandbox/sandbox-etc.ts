import "server-only";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ETC_READONLY_FILES, syntheticEtcFiles } from "./bwrap-args";

/**
 * The sandbox's /etc: one folder, bound read-only as a whole, holding copies of the few host files programs need
 * (ETC_READONLY_FILES) and the synthesized passwd, group and hosts. Binding those one by one cost bwrap a pass over
 * the mount table for each (it reads /proc/self/mountinfo at every bind to find what lies below), ~20 passes a
 * command over a table that grows with the attempts running: 100 sandboxes with 74 mounts on the host took 1.31
 * CPU-s that way and 0.81 with one bind.
 *
 * The folder is named after what it copies (each source's files: path, kind, size, mtime, and the synthesized
 * text), looked at again every few seconds, so that a package update on the host (certificates, the linker's
 * cache) is picked up by the next sandboxes; a folder nobody used for a day is removed.
 */

const RECHECK_MS = 5_000;
const UNUSED_MS = 24 * 3600_000;
const PREFIX = "patchbay-etc-";

const known = new Map<string, { dir: string; digest: string; at: number }>();

/** What the copy depends on: every entry below each source (symlinks as links; a source that is a link, followed). */
function describe(): { digest: string; sources: string[] } {
  const hash = createHash("sha256");
  const sources: string[] = [];
  const note = (p: string, st: fs.Stats) => hash.update(`${p}\0${st.mode}\0${st.size}\0${Math.trunc(st.mtimeMs)}\0${st.ino}\n`);
  const walk = (p: string) => {
    for (const name of fs.readdirSync(p).sort()) {
      const child = path.join(p, name);
      const st = fs.lstatSync(child);
      note(child, st);
      if (st.isDirectory()) walk(child);
    }
  };
  for (const source of ETC_READONLY_FILES) {
    let st: fs.Stats;
    try {
      st = fs.statSync(source);
    } catch {
      continue; // not on this host (bwrap's --ro-bind-try skipped it too)
    }
    if (!st.isFile() && !st.isDirectory()) continue;
    sources.push(source);
    note(source, st);
    if (st.isDirectory()) walk(source);
  }
  hash.update(JSON.stringify(syntheticEtcFiles()));
  return { digest: hash.digest("hex").slice(0, 16), sources };
}

function build(target: string, sources: string[]) {
  const tmp = `${target}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    fs.mkdirSync(tmp, { mode: 0o755 });
    for (const source of sources) {
      const dest = path.join(tmp, path.relative("/etc", source));
      fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
      // The source itself followed (as bwrap's bind did), what lies below it copied as it is (links stay links: they
      // point into /usr, which the sandbox has); modes kept, so what the sandbox user could not read it still cannot.
      try {
        fs.cpSync(fs.realpathSync(source), dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      } catch {
        fs.rmSync(dest, { recursive: true, force: true }); // unreadable here: left out, as bwrap's --ro-bind-try would
      }
    }
    for (const [name, content] of Object.entries(syntheticEtcFiles())) fs.writeFileSync(path.join(tmp, name), content, { mode: 0o644 });
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(target)) throw error; // else another runner made it first
  }
}

/**
 * Ours: a folder (not a link) of this process's user that nobody else can write to. Its name is predictable, so in
 * a shared /tmp another user could have made it first, to plant files in every sandbox's /etc.
 */
function ours(dir: string): boolean {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return false;
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not the sandbox's /etc this server made (another user's, or writable by others): remove it`);
  }
  return true;
}

/** The folder to bind as the sandbox's /etc, made in `parentDir` (where the sandboxes' scratch folders go). */
export function sandboxEtcDir(parentDir: string): string {
  const now = Date.now();
  const last = known.get(parentDir);
  if (last && now - last.at < RECHECK_MS) return last.dir;
  const { digest, sources } = describe();
  fs.mkdirSync(parentDir, { recursive: true, mode: 0o755 });
  const dir = path.join(parentDir, `${PREFIX}${digest}`);
  if (!ours(dir)) {
    build(dir, sources);
    ours(dir);
  }
  if (last?.dir !== dir) {
    for (const name of fs.readdirSync(parentDir)) {
      const other = path.join(parentDir, name);
      if (!name.startsWith(PREFIX) || other === dir) continue;
      const st = fs.statSync(other, { throwIfNoEntry: false });
      if (st && now - st.mtimeMs > UNUSED_MS) fs.rmSync(other, { recursive: true, force: true });
    }
  }
  // Marks it as in use, so that the clean-up above leaves it (a sandbox binds it at every command).
  fs.utimesSync(dir, now / 1000, now / 1000);
  known.set(parentDir, { dir, digest, at: now });
  return dir;
}
