import { describe, expect, it } from "vitest";

import type { PatchFs } from "../types";
import { applyPatch } from "./apply";
import { parsePatch } from "./parse";
import { foldPunctuation, seekSequence } from "./seek";

/** The cases below mirror how the Codex CLI's apply_patch behaves, since that is what codex models are trained on. */

function memFs(files: Record<string, string>): PatchFs & { files: Record<string, string> } {
  const state = { ...files };
  return {
    files: state,
    read: async (p) => (Object.prototype.hasOwnProperty.call(state, p) ? state[p] : null),
    write: async (p, c) => {
      state[p] = c;
    },
    remove: async (p) => {
      delete state[p];
    },
  };
}

const patch = (...lines: string[]) => ["*** Begin Patch", ...lines, "*** End Patch"].join("\n");

describe("context matching passes", () => {
  it("tries exact, then trailing whitespace, then surrounding whitespace, then folded punctuation", () => {
    expect(seekSequence(["a", "b "], ["b "], 0, false)).toBe(1);
    expect(seekSequence(["foo   ", "bar\t"], ["foo", "bar"], 0, false)).toBe(0);
    expect(seekSequence(["   foo ", "\tbar"], ["foo", "bar"], 0, false)).toBe(0);
    expect(seekSequence(["x = “quoted” — done"], ['x = "quoted" - done'], 0, false)).toBe(0);
    expect(seekSequence(["only"], ["nope"], 0, false)).toBe(-1);
    expect(seekSequence(["one"], ["one", "two"], 0, false)).toBe(-1);
  });

  it("prefers a stricter match later in the file over a lenient one earlier", () => {
    expect(seekSequence(["  x", "x"], ["x"], 0, false)).toBe(1);
  });

  it("folds dashes, quotes and odd spaces", () => {
    expect(foldPunctuation("a\u2013b\u2014c\u2212d \u2018e\u2019 \u201Cf\u201D g\u00A0h\u202Fi")).toBe("a-b-c-d 'e' \"f\" g h i");
  });

  it("edits a line holding typographic punctuation from an ASCII patch, keeping the file's context lines", async () => {
    const fs = memFs({ "doc.md": "# Title — intro\nIt’s “fine”.\nnon\u00A0breaking\n" });
    const r = await applyPatch(
      patch("*** Update File: doc.md", "@@", " # Title - intro", "-It's \"fine\".", "+It is fine.", " non breaking"),
      fs,
    );
    expect(r.failures).toEqual([]);
    expect(fs.files["doc.md"]).toBe("# Title — intro\nIt is fine.\nnon\u00A0breaking\n");
  });

  it("matches an ASCII file from a patch written with typographic punctuation", async () => {
    const fs = memFs({ "a.py": 'print("a - b")\n' });
    const r = await applyPatch(patch("*** Update File: a.py", "@@", "-print(“a – b”)", '+print("a + b")'), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["a.py"]).toBe('print("a + b")\n');
  });
});

describe("lenient patch text", () => {
  it("accepts blank lines around *** End of File and *** End Patch", async () => {
    const fs = memFs({ "t.txt": "a\nb\nc\n" });
    const text = ["*** Begin Patch", "*** Update File: t.txt", "@@", " b", "-c", "+C", "", "*** End of File", "", "", "*** End Patch", ""].join("\n");
    const r = await applyPatch(text, fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["t.txt"]).toBe("a\nb\nC\n");
  });

  it("accepts blank lines before the next file header and before *** End Patch", async () => {
    const fs = memFs({ "a.txt": "1\n2\n", "b.txt": "x\n" });
    const text = ["*** Begin Patch", "*** Update File: a.txt", "@@", "-1", "+one", "", "", "*** Update File: b.txt", "@@", "-x", "+y", "", "*** End Patch"].join("\n");
    const r = await applyPatch(text, fs);
    expect(r.failures).toEqual([]);
    expect(fs.files).toEqual({ "a.txt": "one\n2\n", "b.txt": "y\n" });
  });

  it("accepts markers and file headers with leading or trailing spaces", async () => {
    const fs = memFs({ "foo.txt": "old\n" });
    const text = [" *** Begin Patch ", "  *** Update File: foo.txt  ", "@@", "-old", "+new", "  *** Add File:  bar.txt ", "+bar", "*** End Patch  "].join("\n");
    const r = await applyPatch(text, fs);
    expect(r.failures).toEqual([]);
    expect(fs.files).toEqual({ "foo.txt": "new\n", "bar.txt": "bar\n" });
  });

  it("keeps a one-space context line that reads like a header as context", () => {
    const r = parsePatch(patch("*** Update File: doc.md", "@@", " *** Update File: <path>", "-old", "+new"));
    expect(r.failures).toEqual([]);
    expect(r.ops).toHaveLength(1);
    expect(r.ops[0]).toMatchObject({ kind: "update", hunks: [{ lines: [{ kind: " ", text: "*** Update File: <path>" }, { kind: "-" }, { kind: "+" }] }] });
  });

  it("ignores a unified-diff range on the @@ line, keeping a function name after it", () => {
    const r = parsePatch(patch("*** Update File: a.js", "@@ -1,2 +1,2 @@", "-a", "+b", "@@ -10,3 +10,3 @@ function f() {", "-c", "+d"));
    expect(r.ops[0]).toMatchObject({ hunks: [{ header: undefined }, { header: "function f() {" }] });
  });
});

describe("hunk placement", () => {
  it("applies a pure-addition hunk followed by further hunks", async () => {
    const fs = memFs({ "list.txt": "one\ntwo\nthree\n" });
    const r = await applyPatch(patch("*** Update File: list.txt", "@@", "+four", "@@", " one", "-two", "+TWO"), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["list.txt"]).toBe("one\nTWO\nthree\nfour\n");
  });

  it("inserts a pure addition right after its @@ line and keeps going", async () => {
    const fs = memFs({ "c.py": "class A:\n    x = 1\nclass B:\n    y = 2\n" });
    const r = await applyPatch(patch("*** Update File: c.py", "@@ class A:", "+    w = 0", "@@ class B:", "-    y = 2", "+    y = 3"), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["c.py"]).toBe("class A:\n    w = 0\n    x = 1\nclass B:\n    y = 3\n");
  });

  it("reports an @@ header that is not in the file instead of ignoring it, and leaves the file alone", async () => {
    const fs = memFs({ "m.js": "function a() {\n  return 0;\n}\n" });
    const r = await applyPatch(patch("*** Update File: m.js", "@@ function missing() {", "-  return 0;", "+  return 1;"), fs);
    expect(r.changed).toEqual([]);
    expect(r.failures[0].message).toContain('no line reads "function missing() {"');
    expect(r.failures[0].message).toMatch(/bare @@ line/);
    expect(fs.files["m.js"]).toBe("function a() {\n  return 0;\n}\n");
  });

  it("finds the @@ header with the same lenient passes", async () => {
    const fs = memFs({ "m.js": "  function b() {   \n  return 0;\n}\n" });
    const r = await applyPatch(patch("*** Update File: m.js", "@@ function b() {", "-  return 0;", "+  return 1;"), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["m.js"]).toBe("  function b() {   \n  return 1;\n}\n");
  });

  it("appends an End of File addition after an earlier replacement", async () => {
    const fs = memFs({ "d.txt": "a\nb\nc\n" });
    const r = await applyPatch(patch("*** Update File: d.txt", "@@", "-a", "-b", "+x", "@@", "+y", "*** End of File"), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["d.txt"]).toBe("x\nc\ny\n");
  });
});

describe("safe refusals say what to do instead", () => {
  it("refuses Add File over an existing file, and the suggested Delete + Add replaces it", async () => {
    const fs = memFs({ "cfg.json": "{}\n" });
    const refused = await applyPatch(patch("*** Add File: cfg.json", "+{\"a\": 1}"), fs);
    expect(fs.files["cfg.json"]).toBe("{}\n");
    expect(refused.failures[0].message).toContain("put '*** Delete File: cfg.json' before '*** Add File: cfg.json'");
    const replaced = await applyPatch(patch("*** Delete File: cfg.json", "*** Add File: cfg.json", "+{\"a\": 1}"), fs);
    expect(replaced.failures).toEqual([]);
    expect(fs.files["cfg.json"]).toBe('{"a": 1}\n');
  });

  it("says how to recover when the context is stale", async () => {
    const fs = memFs({ "a.txt": "one\n" });
    const r = await applyPatch(patch("*** Update File: a.txt", "@@", "-two", "+2"), fs);
    expect(r.failures[0].message).toMatch(/Read the file again/);
  });
});
