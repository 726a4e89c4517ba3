import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, linkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { applyPatch } from "./apply-patch/apply";
import { WorkspaceFs } from "./workspace-fs";

let tmp: string;
let root: string;
let outside: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "patchbay-wsfs-"));
  root = path.join(tmp, "checkout");
  outside = path.join(tmp, "host");
  mkdirSync(path.join(root, "src"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(root, "src", "a.txt"), "a\n");
  writeFileSync(path.join(outside, "secret.txt"), "host secret\n");
});

afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe("WorkspaceFs", () => {
  it("reads, writes (creating directories) and removes files", async () => {
    const fs = new WorkspaceFs(root);
    expect(await fs.read("src/a.txt")).toBe("a\n");
    expect(await fs.read("src/missing.txt")).toBeNull();
    expect(await fs.read("nodir/missing.txt")).toBeNull();
    await fs.write("deep/er/b.txt", "b\n");
    expect(readFileSync(path.join(root, "deep/er/b.txt"), "utf8")).toBe("b\n");
    await fs.write("src/a.txt", "shorter");
    expect(readFileSync(path.join(root, "src/a.txt"), "utf8")).toBe("shorter");
    await fs.remove("src/a.txt");
    expect(existsSync(path.join(root, "src/a.txt"))).toBe(false);
  });

  it("refuses escaping, absolute and .git paths", async () => {
    const fs = new WorkspaceFs(root);
    await expect(fs.read("../host/secret.txt")).rejects.toThrow(/escapes the workspace/);
    await expect(fs.read(path.join(outside, "secret.txt"))).rejects.toThrow(/absolute path/);
    await expect(fs.write(".git/hooks/pre-commit", "x")).rejects.toThrow(/\.git/);
    await expect(fs.write("sub/.git/config", "x")).rejects.toThrow(/\.git/);
  });

  it("refuses to read or write through a symlink to a host file, leaving it untouched", async () => {
    symlinkSync("/etc/passwd", path.join(root, "passwd"));
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "src", "link.txt"));
    const fs = new WorkspaceFs(root);
    await expect(fs.read("passwd")).rejects.toThrow(/symlink/);
    await expect(fs.read("src/link.txt")).rejects.toThrow(/symlink/);
    await expect(fs.write("src/link.txt", "pwned\n")).rejects.toThrow(/symlink/);
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("host secret\n");
  });

  it("refuses a symlinked directory component", async () => {
    symlinkSync(outside, path.join(root, "linkdir"));
    symlinkSync(outside, path.join(root, "src", "nested"));
    const fs = new WorkspaceFs(root);
    await expect(fs.read("linkdir/secret.txt")).rejects.toThrow(/symlink linkdir/);
    await expect(fs.write("linkdir/new.txt", "x")).rejects.toThrow(/symlink linkdir/);
    await expect(fs.write("src/nested/deeper/new.txt", "x")).rejects.toThrow(/symlink src\/nested/);
    await expect(fs.remove("linkdir/secret.txt")).rejects.toThrow(/symlink/);
    expect(existsSync(path.join(outside, "new.txt"))).toBe(false);
    expect(existsSync(path.join(outside, "deeper"))).toBe(false);
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("host secret\n");
  });

  it("refuses to write through a hard link", async () => {
    linkSync(path.join(outside, "secret.txt"), path.join(root, "hard.txt"));
    const fs = new WorkspaceFs(root);
    await expect(fs.write("hard.txt", "pwned")).rejects.toThrow(/hard link/);
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("host secret\n");
  });

  it("removes a symlink itself when asked, never its target", async () => {
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "l"));
    const fs = new WorkspaceFs(root);
    await fs.remove("l");
    expect(existsSync(path.join(outside, "secret.txt"))).toBe(true);
  });

  it("makes apply_patch report symlink refusals as failures", async () => {
    symlinkSync("/etc/passwd", path.join(root, "passwd"));
    const before = readFileSync("/etc/passwd", "utf8");
    const fs = new WorkspaceFs(root);
    const r = await applyPatch("*** Begin Patch\n*** Update File: passwd\n@@\n+evil\n*** End Patch", fs);
    expect(r.changed).toEqual([]);
    expect(r.failures[0].message).toMatch(/symlink/);
    expect(readFileSync("/etc/passwd", "utf8")).toBe(before);
  });
});
