import { describe, expect, it } from "vitest";
import { citationLabel, parseCitations, safeHref } from "./citations";
import { markCitations } from "./remark-citations";

describe("parseCitations", () => {
  it("finds file citations with a range, one line, or no lines", () => {
    expect(parseCitations("See 【F:src/greet.js†L10-L20】, 【F:a.ts†L7】 and 【F:README.md】.")).toEqual([
      { type: "text", text: "See " },
      { type: "citation", citation: { kind: "file", path: "src/greet.js", lines: [10, 20] }, raw: "【F:src/greet.js†L10-L20】" },
      { type: "text", text: ", " },
      { type: "citation", citation: { kind: "file", path: "a.ts", lines: [7, 7] }, raw: "【F:a.ts†L7】" },
      { type: "text", text: " and " },
      { type: "citation", citation: { kind: "file", path: "README.md" }, raw: "【F:README.md】" },
      { type: "text", text: "." },
    ]);
  });

  it("finds log chunk citations", () => {
    expect(parseCitations("tests pass 【c2†L3-L7】")).toEqual([
      { type: "text", text: "tests pass " },
      { type: "citation", citation: { kind: "chunk", chunkId: "c2", lines: [3, 7] }, raw: "【c2†L3-L7】" },
    ]);
    expect(parseCitations("【8f3a2b†L1】")[0]).toMatchObject({ citation: { kind: "chunk", chunkId: "8f3a2b", lines: [1, 1] } });
  });

  it("accepts loose spellings and normalises reversed ranges", () => {
    expect(parseCitations("【F: src/a b.ts †L5–9】")[0]).toMatchObject({ citation: { path: "src/a b.ts", lines: [5, 9] } });
    expect(parseCitations("【F:x†L9-L5】")[0]).toMatchObject({ citation: { lines: [5, 9] } });
  });

  it("leaves other bracketed text alone", () => {
    for (const text of ["【注意】 read this", "【F:x†Lfoo】", "【c2†L0】", "【】", "no citations"]) {
      expect(parseCitations(text)).toEqual([{ type: "text", text }]);
    }
  });
});

describe("labels and links", () => {
  it("labels citations compactly", () => {
    expect(citationLabel({ kind: "file", path: "src/greet.js", lines: [1, 3] })).toBe("greet.js:1-3");
    expect(citationLabel({ kind: "file", path: "src/greet.js", lines: [4, 4] })).toBe("greet.js:4");
    expect(citationLabel({ kind: "file", path: "Makefile" })).toBe("Makefile");
    expect(citationLabel({ kind: "chunk", chunkId: "c2", lines: [3, 7] })).toBe("log c2:3-7");
  });

  it("keeps only http(s) links", () => {
    expect(safeHref("https://example.com/a?b")).toBe("https://example.com/a?b");
    expect(safeHref("http://x.test")).toBe("http://x.test/");
    for (const bad of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/relative", "mailto:a@b", "", null]) {
      expect(safeHref(bad)).toBeNull();
    }
  });

  it("marks citations so Markdown can't split them", () => {
    const { source, citations } = markCitations("a 【F:my_file_name.ts†L1】 b\uE000");
    expect(source).toBe("a \uE0000\uE001 b");
    expect(citations).toHaveLength(1);
  });
});
