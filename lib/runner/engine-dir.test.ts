import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reachableEngineDir } from "./engine-dir";

/** Staging of an engine package the sandbox user cannot walk to (see engine-dir.ts); as some other uid than root. */
const user = { uid: 65534, gid: 65534 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-engine-dir-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makePackage(root: string) {
  fs.mkdirSync(path.join(root, "bin"), { recursive: true });
  fs.writeFileSync(path.join(root, "bin", "tool"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  fs.symlinkSync("bin/tool", path.join(root, "tool"));
}

describe("reachableEngineDir", () => {
  it("binds a reachable package where it is, stages a hidden one by hard links, and restages after an upgrade", async () => {
    fs.chmodSync(tmp, 0o755);
    const open = path.join(tmp, "open", "pkg");
    makePackage(open);
    fs.chmodSync(path.join(tmp, "open"), 0o755);
    const dataDir = path.join(tmp, "data");
    fs.mkdirSync(dataDir, { mode: 0o755 });
    expect(await reachableEngineDir({ dir: open, label: "Tool", dataDir, user })).toBe(open);
    expect(await reachableEngineDir({ dir: open, label: "Tool", dataDir, user: null })).toBe(open);

    const hidden = path.join(tmp, "hidden");
    fs.mkdirSync(hidden, { mode: 0o700 });
    const pkg = path.join(hidden, "pkg");
    makePackage(pkg);
    const staged = await reachableEngineDir({ dir: pkg, label: "Tool", dataDir, user });
    expect(path.dirname(staged)).toBe(path.join(dataDir, "engines"));
    expect(fs.statSync(path.join(staged, "bin", "tool")).ino).toBe(fs.statSync(path.join(pkg, "bin", "tool")).ino);
    expect(fs.statSync(path.join(staged, "bin", "tool")).mode & 0o777).toBe(0o755);
    expect(fs.readlinkSync(path.join(staged, "tool"))).toBe("bin/tool");
    expect(fs.statSync(staged).mode & 0o777).toBe(0o755);
    expect(await reachableEngineDir({ dir: pkg, label: "Tool", dataDir, user })).toBe(staged);

    // An upgrade rewrites the binary: staged anew; the old staging goes once unused for a day, not before.
    const later = path.join(hidden, "v2", "pkg"); // the same package name: a staging the clean-up considers
    fs.cpSync(pkg, later, { recursive: true, verbatimSymlinks: true });
    const other = await reachableEngineDir({ dir: later, label: "Tool", dataDir, user });
    const dayAgo = new Date(Date.now() - 25 * 3600_000);
    fs.utimesSync(staged, dayAgo, dayAgo);
    fs.rmSync(path.join(pkg, "bin", "tool"));
    fs.writeFileSync(path.join(pkg, "bin", "tool"), "#!/bin/sh\necho v2\n", { mode: 0o755 });
    const upgraded = await reachableEngineDir({ dir: pkg, label: "Tool", dataDir, user });
    expect(upgraded).not.toBe(staged);
    expect(fs.readFileSync(path.join(upgraded, "bin", "tool"), "utf8")).toContain("v2");
    expect(fs.readdirSync(path.join(dataDir, "engines")).sort()).toEqual([path.basename(upgraded), path.basename(other)].sort());

    // Removed behind the runner's back (another runner's upgrade): staged again.
    fs.rmSync(upgraded, { recursive: true });
    expect(await reachableEngineDir({ dir: pkg, label: "Tool", dataDir, user })).toBe(upgraded);
    expect(fs.existsSync(path.join(upgraded, "bin", "tool"))).toBe(true);

    // A data folder the user cannot reach either: a clear error naming the folder to open.
    const hiddenData = path.join(hidden, "data");
    fs.mkdirSync(hiddenData);
    await expect(reachableEngineDir({ dir: pkg, label: "Tool", dataDir: hiddenData, user })).rejects.toMatchObject({
      code: "engine_unreachable",
      message: expect.stringContaining(`chmod o+x ${hidden}`),
    });
  });
});
