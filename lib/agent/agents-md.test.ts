import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { loadAgentsMd } from "./agents-md";
import { buildInstructions } from "./prompt";
import { WorkspaceFs } from "./workspace-fs";
import { LinkFollowingReader, resolveWorkspaceLinks } from "./workspace-links";

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

  it("does not follow a symlinked AGENTS.md with the plain WorkspaceFs reader", async () => {
    rmSync(path.join(root, "AGENTS.md"));
    symlinkSync("/etc/passwd", path.join(root, "AGENTS.md"));
    const r = await loadAgentsMd({ reader: new WorkspaceFs(root), dirs: [""] });
    expect(r.text).toBe("");
    expect(r.skipped[0].reason).toMatch(/symlink/);
  });
});

describe("AGENTS.md through symlinks and empty files", () => {
  const links = () => new LinkFollowingReader(new WorkspaceFs(root));

  it("follows AGENTS.md -> CLAUDE.md", async () => {
    rmSync(path.join(root, "AGENTS.md"));
    writeFileSync(path.join(root, "CLAUDE.md"), "claude rules");
    symlinkSync("CLAUDE.md", path.join(root, "AGENTS.md"));
    const r = await loadAgentsMd({ reader: links(), dirs: [""] });
    expect(r.files.map((f) => f.path)).toEqual(["AGENTS.md"]);
    expect(r.text).toContain("claude rules");
  });

  it("follows an absolute link made inside the sandbox (/workspace/…)", async () => {
    rmSync(path.join(root, "AGENTS.md"));
    writeFileSync(path.join(root, "CLAUDE.md"), "sandbox link rules");
    symlinkSync("/workspace/CLAUDE.md", path.join(root, "AGENTS.md"));
    expect((await loadAgentsMd({ reader: links(), dirs: [""] })).text).toContain("sandbox link rules");
  });

  it("follows a symlinked folder that stays in the checkout", async () => {
    mkdirSync(path.join(root, "packages/web"), { recursive: true });
    writeFileSync(path.join(root, "packages/web/AGENTS.md"), "web rules");
    symlinkSync("packages/web", path.join(root, "web"));
    const r = await loadAgentsMd({ reader: links(), dirs: ["web"] });
    expect(r.files.map((f) => f.path)).toEqual(["AGENTS.md", "web/AGENTS.md"]);
    expect(r.text).toContain("web rules");
  });

  it("refuses links out of the checkout, into .git, and loops, saying why", async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), "patchbay-agentsmd-outside-"));
    writeFileSync(path.join(outside, "AGENTS.md"), "host secrets");
    mkdirSync(path.join(root, ".git"));
    writeFileSync(path.join(root, ".git/AGENTS.md"), "git dir");
    rmSync(path.join(root, "AGENTS.md"));
    symlinkSync("/etc/passwd", path.join(root, "AGENTS.md"));
    symlinkSync(path.join(outside, "AGENTS.md"), path.join(root, "pkg/a/AGENTS.md"));
    symlinkSync("../../../../../../../../../../.." + outside, path.join(root, "other/AGENTS.override.md"));
    symlinkSync(".git", path.join(root, "gitlink"));
    symlinkSync("loop2", path.join(root, "loop1"));
    symlinkSync("loop1", path.join(root, "loop2"));
    const r = await loadAgentsMd({ reader: links(), dirs: ["pkg/a", "other"] });
    expect(r.text).not.toContain("host secrets");
    expect(r.text).not.toContain("root:");
    expect(r.skipped.map((s) => s.path)).toEqual(["AGENTS.md", "other/AGENTS.override.md", "pkg/a/AGENTS.md"]);
    expect(r.skipped[0].reason).toMatch(/outside the workspace/);
    await expect(resolveWorkspaceLinks(root, "gitlink/AGENTS.md")).rejects.toThrow(/\.git/);
    await expect(resolveWorkspaceLinks(root, "loop1")).rejects.toThrow(/too many symlinks/);
    rmSync(outside, { recursive: true });
  });

  it("adds nothing for an empty file; an empty override leaves AGENTS.md in charge", async () => {
    writeFileSync(path.join(root, "AGENTS.md"), "  \n\n");
    writeFileSync(path.join(root, "pkg/AGENTS.override.md"), "");
    const r = await loadAgentsMd({ reader: links(), dirs: ["pkg"] });
    expect(r.files.map((f) => f.path)).toEqual(["pkg/AGENTS.md"]);
    expect(r.text).not.toContain("## AGENTS.md");
    writeFileSync(path.join(root, "pkg/AGENTS.md"), "");
    expect((await loadAgentsMd({ reader: links(), dirs: ["pkg"] })).text).toBe("");
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
