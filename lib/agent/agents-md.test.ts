import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { loadAgentsMd } from "./agents-md";
import { buildInstructions } from "./prompt";
import { WorkspaceFs } from "./workspace-fs";

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "patchbay-agentsmd-"));
  mkdirSync(path.join(root, "pkg/a/deep"), { recursive: true });
  mkdirSync(path.join(root, "other"), { recursive: true });
  writeFileSync(path.join(root, "AGENTS.md"), "root rules");
  writeFileSync(path.join(root, "pkg/AGENTS.md"), "pkg rules");
  writeFileSync(path.join(root, "pkg/AGENTS.override.md"), "pkg override");
  writeFileSync(path.join(root, "pkg/a/deep/AGENTS.md"), "deep rules");
  writeFileSync(path.join(root, "other/AGENTS.md"), "other rules");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("loadAgentsMd", () => {
  it("reads from the root down to each directory, override first, deeper last", async () => {
    const r = await loadAgentsMd({ reader: new WorkspaceFs(root), dirs: ["pkg/a/deep", ""] });
    expect(r.files.map((f) => [f.path, f.scope])).toEqual([
      ["AGENTS.md", "the whole repository"],
      ["pkg/AGENTS.override.md", "pkg/"],
      ["pkg/a/deep/AGENTS.md", "pkg/a/deep/"],
    ]);
    expect(r.text).toContain("## pkg/AGENTS.override.md (applies to pkg/)\n\npkg override");
    expect(r.text).not.toContain("pkg rules");
    expect(r.text).not.toContain("other rules");
    expect(r.text.indexOf("root rules")).toBeLessThan(r.text.indexOf("deep rules"));
    expect(r.text).toMatch(/deeper file wins/);
  });

  it("returns nothing without AGENTS.md", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "patchbay-agentsmd-empty-"));
    expect((await loadAgentsMd({ reader: new WorkspaceFs(empty), dirs: ["x"] })).text).toBe("");
    rmSync(empty, { recursive: true });
  });

  it("caps the total size", async () => {
    writeFileSync(path.join(root, "AGENTS.md"), "r".repeat(30_000));
    writeFileSync(path.join(root, "other/AGENTS.md"), "o".repeat(10_000));
    const r = await loadAgentsMd({ reader: new WorkspaceFs(root), dirs: ["other", "pkg"] });
    expect(r.files.reduce((n, f) => n + f.bytes, 0)).toBeLessThanOrEqual(32 * 1024);
    expect(r.files.some((f) => f.truncated)).toBe(true);
    expect(r.skipped.map((s) => s.path)).toEqual(["pkg/AGENTS.override.md"]);
  });

  it("does not follow a symlinked AGENTS.md", async () => {
    rmSync(path.join(root, "AGENTS.md"));
    symlinkSync("/etc/passwd", path.join(root, "AGENTS.md"));
    const r = await loadAgentsMd({ reader: new WorkspaceFs(root), dirs: [""] });
    expect(r.text).toBe("");
    expect(r.skipped[0].reason).toMatch(/symlink/);
  });
});

describe("buildInstructions", () => {
  it("describes the mode, tools, citations and precedence", () => {
    const code = buildInstructions({ mode: "code", agentsMd: "# AGENTS.md instructions\n\nrun tests" });
    expect(code).toContain("# Mode: Code");
    expect(code).toContain("## Summary");
    expect(code).toContain("## Testing");
    expect(code).toContain("【F:");
    expect(code).toContain("chunk_id");
    expect(code).toContain("no network");
    expect(code).toMatch(/Do not run git commit/);
    expect(code.indexOf("run tests")).toBeLessThan(code.indexOf("override the AGENTS.md"));
    const ask = buildInstructions({ mode: "ask" });
    expect(ask).toContain("Mode: Ask (read-only)");
    expect(ask).toMatch(/Do not modify/);
  });
});
