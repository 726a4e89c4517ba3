import { readFileSync } from "node:fs";
import path from "node:path";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DiffView } from "./diff-view";
import { parseUnifiedDiff } from "./parse-diff";
import { bodyRows, estimateFileHeight, filePatch, rowOfNewLine } from "./rows";

const sample = readFileSync(path.join(import.meta.dirname, "fixtures/sample.diff"), "utf8");

describe("DiffView (server render)", () => {
  it("lists files with counts, renames, binary and new/deleted marks", () => {
    const html = renderToString(createElement(DiffView, { diff: sample, view: "unified" }));
    expect(html).toContain("8 files changed");
    expect(html).toContain("old.js → new.js");
    expect(html).toContain("mv.txt → moved file.txt");
    expect(html).toContain("Binary file changed");
    expect(html).not.toContain("LcmZQzWn");
    expect(html).toContain('data-status="deleted"');
    expect(html).toContain('data-status="added"');
    expect(html).toContain("100644 → 100755");
    expect(html).toContain('aria-pressed="true"');
  });

  it("renders rows with both line numbers and the cited lines highlighted", () => {
    const html = renderToString(createElement(DiffView, { diff: sample, view: "unified", focus: { path: "new.js", lines: [3, 3] } }));
    expect(html).toMatch(/data-type="add" data-new-line="3" data-highlighted="true"/);
    expect(html).toContain('aria-label="Changes in new.js"');
  });

  it("says so when there is nothing to show", () => {
    expect(renderToString(createElement(DiffView, { diff: "", view: "split" }))).toContain("No changes.");
  });
});

describe("a file's rows", () => {
  const file = parseUnifiedDiff(sample).find((f) => f.path === "new.js")!;

  it("unified: a hunk header, then every line; split: removed and added lines side by side", () => {
    const unified = bodyRows(file, "unified");
    expect(unified.map((r) => r.kind)).toEqual(["hunk", ...Array(7).fill("line")]);
    const split = bodyRows(file, "split");
    expect(split.filter((r) => r.kind === "split")).toHaveLength(6);
    expect(split.find((r) => r.kind === "split" && r.left?.content === "three")).toMatchObject({ right: { content: "THREE" } });
  });

  it("finds the row of a cited new-side line, or the next one shown", () => {
    const rows = bodyRows(file, "unified");
    expect(rowOfNewLine(rows, 3)).toBe(4);
    expect(rowOfNewLine(rows, 99)).toBe(-1);
  });

  it("estimates a file's height from its rows (exact while no line wraps)", () => {
    expect(estimateFileHeight(file, true, "unified")).toBe(2 + 36 + 8 * 20 + 12);
    expect(estimateFileHeight(file, false, "unified")).toBe(2 + 36 + 12);
  });

  it("copies a file's part of the diff as a patch that reads back the same", () => {
    const patch = filePatch(file);
    expect(patch.startsWith("diff --git a/old.js b/new.js\n--- a/old.js\n+++ b/new.js\n@@ ")).toBe(true);
    const again = parseUnifiedDiff(patch)[0];
    expect(again.hunks).toEqual(file.hunks);
    const gone = parseUnifiedDiff(sample).find((f) => f.path === "gone.txt")!;
    expect(filePatch(gone)).toBe("diff --git a/gone.txt b/gone.txt\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n");
  });
});
