import { describe, expect, it } from "vitest";
import { splitTaskStubs, stubPrompt } from "./task-stubs";

describe("splitTaskStubs", () => {
  it("splits an answer into Markdown and the tasks it proposes", () => {
    const parts = splitTaskStubs(
      'Intro 【F:a.js†L1-L2】.\n\n:::task-stub{title="Make sum ignore non-numbers"}\nIn src/sum.js, skip them.\n:::\n\n:::task-stub{title="Doc"}\nAdd docs.\n:::\nAfter.',
    );
    expect(parts).toEqual([
      { kind: "markdown", text: "Intro 【F:a.js†L1-L2】.\n" },
      { kind: "stub", stub: { title: "Make sum ignore non-numbers", body: "In src/sum.js, skip them." } },
      { kind: "stub", stub: { title: "Doc", body: "Add docs." } },
      { kind: "markdown", text: "After." },
    ]);
    expect(stubPrompt({ title: "Doc", body: "Add docs." })).toBe("Doc\n\nAdd docs.");
  });

  it("leaves stubs inside code fences and unclosed stubs as text", () => {
    const fenced = '```\n:::task-stub{title="x"}\ny\n:::\n```';
    expect(splitTaskStubs(fenced)).toEqual([{ kind: "markdown", text: fenced }]);
    expect(splitTaskStubs(':::task-stub{title="x"}\nno end')).toEqual([{ kind: "markdown", text: ':::task-stub{title="x"}\nno end' }]);
  });

  it("takes a title without quotes, or the body's first line", () => {
    expect(splitTaskStubs(":::task-stub{title=Fix}\nDo it.\n:::")).toEqual([{ kind: "stub", stub: { title: "Fix", body: "Do it." } }]);
    expect(splitTaskStubs(":::task-stub\nDo it.\n:::")).toEqual([{ kind: "stub", stub: { title: "Do it.", body: "Do it." } }]);
  });
});
