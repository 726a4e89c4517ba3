import { describe, expect, it } from "vitest";

import type { PatchFs } from "../types";
import { applyPatch, formatPatchResult, normalizePatchPath } from "./apply";
import { parsePatch } from "./parse";

function memFs(files: Record<string, string>): PatchFs & { files: Record<string, string> } {
  const state = { ...files };
  return {
    files: state,
    async read(p) {
      return Object.prototype.hasOwnProperty.call(state, p) ? state[p] : null;
    },
    async write(p, c) {
      state[p] = c;
    },
    async remove(p) {
      delete state[p];
    },
  };
}

const patch = (...lines: string[]) => ["*** Begin Patch", ...lines, "*** End Patch"].join("\n");

describe("parsePatch", () => {
  it("rejects an empty patch", () => {
    expect(parsePatch("").failures[0].message).toBe("empty patch");
    expect(parsePatch("*** Begin Patch\n*** End Patch").failures[0].message).toMatch(/empty patch/);
  });

  it("rejects a patch without the Begin/End markers", () => {
    expect(parsePatch("--- a/x\n+++ b/x").failures[0].message).toMatch(/first line must be '\*\*\* Begin Patch'/);
    expect(parsePatch("*** Begin Patch\n*** Add File: a\n+x").failures[0].message).toMatch(/End Patch/);
  });

  it("reports a bad file header and keeps parsing the next sections", () => {
    const r = parsePatch(patch("*** Modify File: a.txt", "+x", "*** Add File: b.txt", "+hello"));
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0].message).toMatch(/bad header "\*\*\* Modify File: a.txt"/);
    expect(r.ops).toEqual([{ kind: "add", path: "b.txt", content: "hello\n" }]);
  });

  it("reports a bad hunk line", () => {
    const r = parsePatch(patch("*** Update File: a.txt", "@@", " a", "?b"));
    expect(r.ops).toHaveLength(0);
    expect(r.failures[0]).toMatchObject({ path: "a.txt" });
    expect(r.failures[0].message).toMatch(/bad hunk line "\?b"/);
  });

  it("accepts a heredoc-wrapped patch and CRLF patch text", () => {
    const text = ["apply_patch <<'EOF'", "*** Begin Patch", "*** Add File: a.txt", "+x", "*** End Patch", "EOF"].join("\r\n");
    expect(parsePatch(text)).toEqual({ ops: [{ kind: "add", path: "a.txt", content: "x\n" }], failures: [] });
  });

  it("parses headers, move, end of file", () => {
    const r = parsePatch(patch("*** Update File: a.js", "*** Move to: b.js", "@@ function f() {", "-  return 1;", "+  return 2;", "*** End of File"));
    expect(r.failures).toEqual([]);
    expect(r.ops[0]).toEqual({
      kind: "update",
      path: "a.js",
      moveTo: "b.js",
      hunks: [{ header: "function f() {", endOfFile: true, lines: [{ kind: "-", text: "  return 1;" }, { kind: "+", text: "  return 2;" }] }],
    });
  });
});

describe("normalizePatchPath", () => {
  it("keeps relative paths and cleans them", () => {
    expect(normalizePatchPath("./src//a.js")).toBe("src/a.js");
    expect(normalizePatchPath("/workspace/src/a.js")).toBe("src/a.js");
  });
  it("rejects escaping paths", () => {
    expect(() => normalizePatchPath("../x")).toThrow(/escapes the workspace/);
    expect(() => normalizePatchPath("src/../../x")).toThrow(/escapes the workspace/);
    expect(() => normalizePatchPath("/etc/passwd")).toThrow(/absolute path/);
    expect(() => normalizePatchPath("/workspace")).toThrow(/workspace root/);
  });
});

describe("applyPatch", () => {
  it("adds, updates and deletes files", async () => {
    const fs = memFs({ "a.txt": "one\ntwo\nthree\n", "gone.txt": "bye\n" });
    const r = await applyPatch(
      patch("*** Add File: dir/new.txt", "+hello", "+world", "*** Update File: a.txt", "@@", " one", "-two", "+TWO", " three", "*** Delete File: gone.txt"),
      fs,
    );
    expect(r.failures).toEqual([]);
    expect(r.changed).toEqual([
      { path: "dir/new.txt", kind: "add" },
      { path: "a.txt", kind: "update" },
      { path: "gone.txt", kind: "delete" },
    ]);
    expect(fs.files).toEqual({ "dir/new.txt": "hello\nworld\n", "a.txt": "one\nTWO\nthree\n" });
  });

  it("applies multiple hunks in order", async () => {
    const fs = memFs({ "f.js": ["a", "x", "b", "c", "x", "d", "e", "x", "f"].join("\n") + "\n" });
    const r = await applyPatch(
      patch("*** Update File: f.js", "@@", " a", "-x", "+X1", " b", "@@", " c", "-x", "+X2", "@@", " e", "-x", "+X3", " f"),
      fs,
    );
    expect(r.failures).toEqual([]);
    expect(fs.files["f.js"]).toBe(["a", "X1", "b", "c", "X2", "d", "e", "X3", "f"].join("\n") + "\n");
  });

  it("applies identical hunks to successive occurrences", async () => {
    const fs = memFs({ "f.txt": "x\ny\nx\ny\n" });
    await applyPatch(patch("*** Update File: f.txt", "@@", "-x", "+1", "@@", "-x", "+2"), fs);
    expect(fs.files["f.txt"]).toBe("1\ny\n2\ny\n");
  });

  it("uses the @@ header to pick the right place", async () => {
    const src = ["function a() {", "  return 0;", "}", "function b() {", "  return 0;", "}", ""].join("\n");
    const fs = memFs({ "m.js": src });
    await applyPatch(patch("*** Update File: m.js", "@@ function b() {", "-  return 0;", "+  return 1;"), fs);
    expect(fs.files["m.js"]).toBe(["function a() {", "  return 0;", "}", "function b() {", "  return 1;", "}", ""].join("\n"));
  });

  it("accepts a header that repeats the first context line", async () => {
    const fs = memFs({ "g.js": 'function greet(name) {\n  return "Hello, " + name + "!";\n}\n' });
    const r = await applyPatch(
      patch("*** Update File: g.js", "@@ function greet(name) {", " function greet(name) {", '-  return "Hello, " + name + "!";', '+  return "Hi, " + name + "!";', " }"),
      fs,
    );
    expect(r.failures).toEqual([]);
    expect(fs.files["g.js"]).toBe('function greet(name) {\n  return "Hi, " + name + "!";\n}\n');
  });

  it("anchors an End of File hunk at the end", async () => {
    const fs = memFs({ "e.txt": "x\nend\nx\nend\n" });
    await applyPatch(patch("*** Update File: e.txt", "@@", " x", "-end", "+last", "*** End of File"), fs);
    expect(fs.files["e.txt"]).toBe("x\nend\nx\nlast\n");
  });

  it("appends a pure insertion at the end of the file", async () => {
    const fs = memFs({ "e.txt": "a\nb\n" });
    await applyPatch(patch("*** Update File: e.txt", "@@", "+c", "*** End of File"), fs);
    expect(fs.files["e.txt"]).toBe("a\nb\nc\n");
  });

  it("keeps CRLF line endings", async () => {
    const fs = memFs({ "w.txt": "one\r\ntwo\r\nthree\r\n" });
    const r = await applyPatch(patch("*** Update File: w.txt", "@@", " one", "-two", "+2", "+2b", " three"), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["w.txt"]).toBe("one\r\n2\r\n2b\r\nthree\r\n");
  });

  it("keeps a missing trailing newline", async () => {
    const fs = memFs({ "n.txt": "a\nb\nc" });
    await applyPatch(patch("*** Update File: n.txt", "@@", " b", "-c", "+C", "*** End of File"), fs);
    expect(fs.files["n.txt"]).toBe("a\nb\nC");
  });

  it("matches context ignoring trailing whitespace, then indentation, and keeps the file's context lines", async () => {
    const fs = memFs({ "s.py": "def f():   \n    x = 1\n    return x\n" });
    const r = await applyPatch(patch("*** Update File: s.py", "@@", " def f():", "  x = 1", "-  return x", "+  return x + 1"), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["s.py"]).toBe("def f():   \n    x = 1\n  return x + 1\n");
  });

  it("tolerates blank context lines the file does not have", async () => {
    const fs = memFs({ "b.txt": "a\nb\n" });
    const r = await applyPatch(patch("*** Update File: b.txt", "@@", " a", "-b", "+B", ""), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files["b.txt"]).toBe("a\nB\n");
  });

  it("moves and edits a file", async () => {
    const fs = memFs({ "old/name.js": "const a = 1;\nexport default a;\n" });
    const r = await applyPatch(patch("*** Update File: old/name.js", "*** Move to: new/name.js", "@@", "-const a = 1;", "+const a = 2;", " export default a;"), fs);
    expect(r).toEqual({ changed: [{ path: "new/name.js", kind: "move", from: "old/name.js" }], failures: [] });
    expect(fs.files).toEqual({ "new/name.js": "const a = 2;\nexport default a;\n" });
  });

  it("moves a file without hunks", async () => {
    const fs = memFs({ "a.txt": "x\n" });
    const r = await applyPatch(patch("*** Update File: a.txt", "*** Move to: b.txt"), fs);
    expect(r.failures).toEqual([]);
    expect(fs.files).toEqual({ "b.txt": "x\n" });
  });

  it("reports context not found, quoting the expected lines, and leaves that file untouched", async () => {
    const fs = memFs({ "a.txt": "one\ntwo\n", "b.txt": "b\n" });
    const r = await applyPatch(patch("*** Update File: a.txt", "@@", " one", "-three", "+3", "*** Update File: b.txt", "@@", "-b", "+B"), fs);
    expect(r.changed).toEqual([{ path: "b.txt", kind: "update" }]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0].path).toBe("a.txt");
    expect(r.failures[0].message).toContain("context not found in a.txt (hunk 1 of 1)");
    expect(r.failures[0].message).toContain("  | one\n  | three");
    expect(fs.files["a.txt"]).toBe("one\ntwo\n");
    expect(fs.files["b.txt"]).toBe("B\n");
  });

  it("does not write a file when a later hunk fails", async () => {
    const fs = memFs({ "a.txt": "1\n2\n3\n" });
    const r = await applyPatch(patch("*** Update File: a.txt", "@@", "-1", "+one", "@@", "-nope", "+x"), fs);
    expect(r.failures[0].message).toMatch(/hunk 2 of 2/);
    expect(fs.files["a.txt"]).toBe("1\n2\n3\n");
  });

  it("refuses to update or delete a missing file and to add an existing one", async () => {
    const fs = memFs({ "here.txt": "x\n" });
    const r = await applyPatch(
      patch("*** Update File: missing.txt", "@@", "-a", "+b", "*** Delete File: missing2.txt", "*** Add File: here.txt", "+y"),
      fs,
    );
    expect(r.changed).toEqual([]);
    expect(r.failures.map((f) => f.message)).toEqual([
      "cannot update missing.txt: no such file; use '*** Add File: missing.txt' to create it",
      "cannot delete missing2.txt: no such file (list the directory to check the path)",
      expect.stringMatching(/^cannot add here.txt: the file already exists\. To change it, use '\*\*\* Update File: here.txt'/),
    ]);
    expect(fs.files).toEqual({ "here.txt": "x\n" });
  });

  it("refuses paths outside the workspace", async () => {
    const fs = memFs({});
    const r = await applyPatch(patch("*** Add File: ../evil.txt", "+x", "*** Add File: /etc/evil", "+x", "*** Add File: ok.txt", "+x"), fs);
    expect(r.changed).toEqual([{ path: "ok.txt", kind: "add" }]);
    expect(r.failures.map((f) => f.message)).toEqual([expect.stringMatching(/escapes the workspace/), expect.stringMatching(/absolute path/)]);
    expect(Object.keys(fs.files)).toEqual(["ok.txt"]);
  });

  it("refuses a move destination outside the workspace or already present", async () => {
    const fs = memFs({ "a.txt": "x\n", "b.txt": "y\n" });
    const r = await applyPatch(patch("*** Update File: a.txt", "*** Move to: ../a.txt", "*** Update File: a.txt", "*** Move to: b.txt"), fs);
    expect(r.changed).toEqual([]);
    expect(r.failures[0].message).toMatch(/escapes/);
    expect(r.failures[1].message).toMatch(/destination already exists/);
    expect(fs.files).toEqual({ "a.txt": "x\n", "b.txt": "y\n" });
  });

  it("reports filesystem errors as failures", async () => {
    const fs: PatchFs = {
      read: async () => "x\n",
      write: async () => {
        throw new Error("refusing to write through a symlink: a.txt");
      },
      remove: async () => {},
    };
    const r = await applyPatch(patch("*** Update File: a.txt", "@@", "-x", "+y"), fs);
    expect(r.failures).toEqual([{ path: "a.txt", message: "refusing to write through a symlink: a.txt" }]);
  });

  it("formats a result for the model", () => {
    expect(
      formatPatchResult({ changed: [{ path: "b", kind: "move", from: "a" }], failures: [{ path: "c", message: "cannot delete c: no such file" }] }),
    ).toBe("Applied:\nR a -> b\nFailed:\nc: cannot delete c: no such file");
  });
});

describe("Add File blank lines", () => {
  it("keeps '+' blank lines and drops unprefixed separators", () => {
    const r = parsePatch(patch("*** Add File: a.txt", "+a", "+", "", "", "*** Add File: b.txt", "+b"));
    expect(r.ops).toEqual([
      { kind: "add", path: "a.txt", content: "a\n\n" },
      { kind: "add", path: "b.txt", content: "b\n" },
    ]);
  });
});
