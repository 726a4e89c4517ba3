import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ETC_READONLY_FILES, syntheticEtcFiles } from "./bwrap-args";
import { sandboxEtcDir } from "./sandbox-etc";

const parents: string[] = [];
function parent(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-etc-test-"));
  parents.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of parents) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every path below `root`, relative, sorted. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const r = path.join(rel, name);
      out.push(r);
      if (fs.lstatSync(path.join(root, r)).isDirectory()) walk(r);
    }
  };
  walk("");
  return out.sort();
}

describe("the sandboxes' /etc folder", () => {
  it("holds the listed host files (a link named in the list followed, links below kept) and the synthesized ones, nothing else", () => {
    const dir = sandboxEtcDir(parent());
    const listed = ETC_READONLY_FILES.filter((f) => fs.existsSync(f)).map((f) => path.relative("/etc", f));
    const synthesized = Object.keys(syntheticEtcFiles());
    const tops = new Set([...listed.map((f) => f.split("/")[0]), ...synthesized]);
    expect(new Set(fs.readdirSync(dir))).toEqual(tops);
    for (const name of ["shadow", "gshadow", "ssh", "gitconfig", "npmrc", "sudoers", "resolv.conf"]) expect(fs.existsSync(path.join(dir, name))).toBe(false);
    expect(fs.readFileSync(path.join(dir, "passwd"), "utf8")).toBe(syntheticEtcFiles().passwd);
    expect(fs.readFileSync(path.join(dir, "ld.so.cache")).equals(fs.readFileSync("/etc/ld.so.cache"))).toBe(true);
    if (fs.lstatSync("/etc/localtime", { throwIfNoEntry: false })?.isSymbolicLink()) {
      expect(fs.lstatSync(path.join(dir, "localtime")).isFile()).toBe(true); // what a bind of it showed
    }
    const certs = path.join(dir, "ssl", "certs");
    if (fs.existsSync("/etc/ssl/certs")) {
      expect(tree(certs)).toEqual(tree("/etc/ssl/certs"));
      const link = fs.readdirSync("/etc/ssl/certs").find((n) => fs.lstatSync(path.join("/etc/ssl/certs", n)).isSymbolicLink());
      if (link) expect(fs.readlinkSync(path.join(certs, link))).toBe(fs.readlinkSync(path.join("/etc/ssl/certs", link)));
    }
    const st = fs.statSync(dir);
    expect(st.mode & 0o777).toBe(0o755);
  });

  it("is made once and shared, and a folder of that name someone else could write to is refused", () => {
    const a = parent();
    const first = sandboxEtcDir(a);
    expect(sandboxEtcDir(a)).toBe(first);
    const b = parent();
    const planted = path.join(b, path.basename(first));
    fs.mkdirSync(planted);
    fs.chmodSync(planted, 0o777);
    fs.writeFileSync(path.join(planted, "passwd"), "root::0:0::/:/bin/sh\n");
    expect(() => sandboxEtcDir(b)).toThrow(/writable by others/);
  });

  it("removes another version of it once nobody has used that one for a day, and keeps a recent one", () => {
    const dir = parent();
    const stale = path.join(dir, "patchbay-etc-0000000000000000");
    const recent = path.join(dir, "patchbay-etc-1111111111111111");
    for (const d of [stale, recent]) fs.mkdirSync(d, { mode: 0o755 });
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600_000) / 1000;
    fs.utimesSync(stale, twoDaysAgo, twoDaysAgo);
    const made = sandboxEtcDir(dir);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(recent)).toBe(true);
    expect(fs.existsSync(made)).toBe(true);
  });
});
