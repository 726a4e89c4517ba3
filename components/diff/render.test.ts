import { readFileSync } from "node:fs";
import path from "node:path";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DiffView, FileBody } from "./diff-view";
import { parseUnifiedDiff } from "./parse-diff";

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

  it("renders unified and split bodies with both line numbers and the focus highlight", () => {
    const file = parseUnifiedDiff(sample).find((f) => f.path === "new.js")!;
    const unified = renderToString(createElement(FileBody, { file, mode: "unified", range: [3, 3] }));
    expect(unified.match(/data-testid="diff-line"/g)?.length).toBe(7);
    expect(unified).toMatch(/data-type="add" data-new-line="3" data-highlighted="true"/);
    const split = renderToString(createElement(FileBody, { file, mode: "split", range: null }));
    expect(split.match(/data-testid="diff-line"/g)?.length).toBe(6);
  });

  it("says so when there is nothing to show", () => {
    expect(renderToString(createElement(DiffView, { diff: "", view: "split" }))).toContain("No changes.");
  });
});
