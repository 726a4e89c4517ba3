import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { diffTotals, findDiffFile, parseUnifiedDiff, toSplitRows, unquoteGitPath } from "./parse-diff";

// Real `git diff --cached --binary -M` output: edit, delete, binary, mode change, renames, new files, quoted path.
const sample = readFileSync(path.join(import.meta.dirname, "fixtures/sample.diff"), "utf8");

describe("parseUnifiedDiff on real git output", () => {
  const files = parseUnifiedDiff(sample);
  const byPath = (p: string) => files.find((f) => f.path === p)!;

  it("finds every file in order", () => {
    expect(files.map((f) => f.path)).toEqual([
      "dash.txt",
      "gone.txt",
      "img.bin",
      "keep.txt",
      "moved file.txt",
      "new.js",
      "nonl.txt",
      "sp ace é.txt",
    ]);
  });

  it("reads content lines by the hunk counts, so a removed '-- x' line is not a header", () => {
    const f = byPath("dash.txt");
    expect(f.status).toBe("modified");
    expect(f.hunks[0].lines).toEqual([
      { type: "del", content: "-- dashed", oldNo: 1, newNo: null },
      { type: "add", content: "changed", oldNo: null, newNo: 1 },
    ]);
    expect([f.additions, f.deletions]).toEqual([1, 1]);
  });

  it("marks deletions, new files and the missing final newline", () => {
    expect(byPath("gone.txt")).toMatchObject({ status: "deleted", newPath: null, oldPath: "gone.txt", deletions: 1 });
    const nonl = byPath("nonl.txt");
    expect(nonl).toMatchObject({ status: "added", oldPath: null, additions: 1 });
    expect(nonl.hunks[0].lines[0]).toMatchObject({ content: "no newline", noNewline: true, newNo: 1 });
  });

  it("shows binary files without their blob", () => {
    const f = byPath("img.bin");
    expect(f).toMatchObject({ binary: true, status: "modified", hunks: [], additions: 0, deletions: 0 });
  });

  it("reads mode changes, pure renames and renames with edits", () => {
    expect(byPath("keep.txt")).toMatchObject({ oldMode: "100644", newMode: "100755", hunks: [] });
    expect(byPath("moved file.txt")).toMatchObject({ status: "renamed", oldPath: "mv.txt", newPath: "moved file.txt", similarity: 100, hunks: [] });
    const js = byPath("new.js");
    expect(js).toMatchObject({ status: "renamed", oldPath: "old.js", newPath: "new.js", additions: 1, deletions: 1 });
    expect(js.hunks[0]).toMatchObject({ oldStart: 1, oldLines: 6, newStart: 1, newLines: 6 });
    expect(js.hunks[0].lines.find((l) => l.type === "add")).toMatchObject({ content: "THREE", newNo: 3 });
  });

  it("unquotes C-quoted paths (octal UTF-8 bytes)", () => {
    expect(byPath("sp ace é.txt")).toMatchObject({ status: "added", additions: 1 });
    expect(unquoteGitPath('"a/tab\\there"')).toBe("a/tab\there");
  });

  it("totals", () => {
    expect(diffTotals(files)).toEqual({ files: 8, additions: 4, deletions: 3 });
  });
});

describe("parseUnifiedDiff edge cases", () => {
  it("reads a plain unified diff with several files and no git header", () => {
    const text = [
      "--- a/one.txt\t2024-01-01 00:00:00",
      "+++ b/one.txt\t2024-01-02 00:00:00",
      "@@ -1,2 +1,2 @@",
      " keep",
      "-old",
      "+new",
      "--- a/two.txt",
      "+++ b/two.txt",
      "@@ -5 +5,2 @@ function f() {",
      " x",
      "+y",
    ].join("\n");
    const files = parseUnifiedDiff(text);
    expect(files.map((f) => [f.path, f.additions, f.deletions])).toEqual([
      ["one.txt", 1, 1],
      ["two.txt", 1, 0],
    ]);
    expect(files[1].hunks[0]).toMatchObject({ oldStart: 5, oldLines: 1, newStart: 5, newLines: 2, section: "function f() {" });
    expect(files[1].hunks[0].lines[1]).toMatchObject({ type: "add", newNo: 6 });
  });

  it("treats 'Binary files ... differ' as a binary change and reads new/deleted from it", () => {
    const text = ["diff --git a/logo.png b/logo.png", "new file mode 100644", "index 0000000..1234567", "Binary files /dev/null and b/logo.png differ", ""].join(
      "\n",
    );
    expect(parseUnifiedDiff(text)).toMatchObject([{ path: "logo.png", binary: true, status: "added", hunks: [] }]);
  });

  it("survives CRLF, empty context lines and junk", () => {
    const text = "junk before\r\ndiff --git a/w.txt b/w.txt\r\n--- a/w.txt\r\n+++ b/w.txt\r\n@@ -1,3 +1,3 @@\r\n a\r\n\n-b\r\n+c\r\n";
    const [f] = parseUnifiedDiff(text);
    expect(f.path).toBe("w.txt");
    expect(f.hunks[0].lines.map((l) => l.type)).toEqual(["context", "context", "del", "add"]);
    expect(parseUnifiedDiff("")).toEqual([]);
    expect(parseUnifiedDiff("not a diff at all\n")).toEqual([]);
  });

  it("pairs removed and added runs side by side", () => {
    const [f] = parseUnifiedDiff(["--- a/x", "+++ b/x", "@@ -1,4 +1,3 @@", " a", "-b", "-c", "+B", " d"].join("\n"));
    const rows = toSplitRows(f.hunks[0]);
    expect(rows.map((r) => [r.left?.content ?? null, r.right?.content ?? null])).toEqual([
      ["a", "a"],
      ["b", "B"],
      ["c", null],
      ["d", "d"],
    ]);
  });

  it("finds the file a citation names, by exact path or suffix", () => {
    const files = parseUnifiedDiff(sample);
    expect(findDiffFile(files, "new.js")?.path).toBe("new.js");
    expect(findDiffFile(files, "old.js")?.path).toBe("new.js");
    expect(findDiffFile(files, "./dash.txt")?.path).toBe("dash.txt");
    expect(findDiffFile(files, "nope.txt")).toBeUndefined();
  });

  it("parses a 10,000-line diff quickly", () => {
    const parts: string[] = [];
    for (let f = 0; f < 50; f++) {
      parts.push(`diff --git a/src/f${f}.ts b/src/f${f}.ts`, `--- a/src/f${f}.ts`, `+++ b/src/f${f}.ts`, "@@ -1,100 +1,100 @@");
      for (let i = 0; i < 100; i++) parts.push(`-const v${i} = ${i};`, `+const v${i} = ${i + 1};`);
    }
    const started = performance.now();
    const files = parseUnifiedDiff(parts.join("\n"));
    expect(performance.now() - started).toBeLessThan(500);
    expect(diffTotals(files)).toEqual({ files: 50, additions: 5000, deletions: 5000 });
  });
});
