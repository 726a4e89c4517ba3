import { describe, expect, it } from "vitest";
import { buildPullRequestBody, checkRuns, displayCommand, looksLikeCheck, stripCitations, summaryBullets, type AttemptEventLite } from "@/lib/pr/body";
import { authorIdentity, branchNameFor, slugify } from "@/lib/pr/naming";

let seq = 0;
const msg = (turn: number, text: string): AttemptEventLite => ({ seq: seq++, turn, type: "message", payload: { text } });
const cmd = (turn: number, chunkId: string, argv: string[], exitCode: number | null, timedOut = false): AttemptEventLite[] => [
  { seq: seq++, turn, type: "command", payload: { phase: "start", chunkId, argv } },
  ...(exitCode === null && !timedOut ? [] : [{ seq: seq++, turn, type: "command", payload: { phase: "end", chunkId, exitCode, timedOut } }]),
];

describe("PR body", () => {
  it("turns file citations into plain path:lines and drops log citations", () => {
    expect(stripCitations("Trim the name 【F:src/greet.js†L1-L3】 and pass 【c4†L1-L2】.")).toBe("Trim the name (src/greet.js:L1-L3) and pass.");
  });

  it("takes the Summary section's bullets, else the first paragraph", () => {
    expect(summaryBullets("Done.\n\n## Summary\n- one 【F:a.js†L1】\n* two\n  continued\n\n## Testing\n- ✅ `x`")).toEqual(["one (a.js:L1)", "two continued"]);
    expect(summaryBullets("# Result\n\nI renamed the helper\nacross files.\n\nMore later.")).toEqual(["I renamed the helper across files."]);
  });

  it("lists checks (not reads) from every turn with their latest outcome", () => {
    expect(looksLikeCheck("cat test/run.js")).toBe(false);
    expect(looksLikeCheck("npx tsc --noEmit")).toBe(true);
    expect(displayCommand(["bash", "-lc", "npm test -- --run"])).toBe("npm test -- --run");
    expect(displayCommand(["node", "-e", "console.log('hi there')"])).toBe("node -e 'console.log('\\''hi there'\\'')'");
    const events = [
      ...cmd(0, "c1", ["npm", "test"], 1),
      ...cmd(0, "c2", ["cat", "test/run.js"], 0),
      ...cmd(1, "c1", ["npm", "test"], 0),
      ...cmd(1, "c3", ["npx", "eslint", "."], null, true),
      ...cmd(1, "c4", ["cargo", "test"], null),
    ];
    expect(checkRuns(events)).toEqual([
      { command: "npm test", outcome: "passed", exitCode: 0 },
      { command: "npx eslint .", outcome: "timed_out", exitCode: null },
      { command: "cargo test", outcome: "unfinished", exitCode: null },
    ]);
  });

  it("covers every turn, not only the last", () => {
    const body = buildPullRequestBody({
      title: "T",
      taskUrl: "http://x/tasks/1",
      events: [
        msg(0, "## Summary\n- first change\n"),
        ...cmd(0, "c1", ["npm", "test"], 1),
        msg(1, "Cancelled halfway."),
        msg(2, "## Summary\n- second change\n- first change\n"),
        ...cmd(2, "c9", ["npm", "run", "lint"], 2),
      ],
    });
    expect(body).toBe(
      "## Summary\n- first change\n- Cancelled halfway.\n- second change\n\n## Testing\n- ❌ `npm test` (exit 1)\n- ❌ `npm run lint` (exit 2)\n\n---\n[View this task in Patchbay](http://x/tasks/1)\n",
    );
    expect(buildPullRequestBody({ title: "Fix it", taskUrl: "u", events: [] })).toContain("## Summary\n- Fix it\n\n## Testing\n- No checks were run.");
  });
});

describe("branch names and authors", () => {
  it("slugs titles to at most 40 lowercase characters", () => {
    expect(slugify("Make greet() trim the name, before greeting everyone!")).toBe("make-greet-trim-the-name-before-greeting");
    expect(slugify("Ünïcode — ümlauts")).toBe("unicode-umlauts");
    expect(slugify("!!!")).toBe("task");
    expect(slugify("x".repeat(60))).toHaveLength(40);
    const id = "0123abcd-ef01-2345-6789-abcdef012345";
    expect(branchNameFor({ prefix: "patchbay", title: "Fix bug", taskId: id })).toBe("patchbay/fix-bug-0123abcd");
    expect(branchNameFor({ prefix: "pb", title: "Fix bug", taskId: id, n: 2 })).toBe("pb/fix-bug-0123abcd-2");
  });

  it("uses the GitHub noreply address of the configured host", () => {
    expect(authorIdentity({ name: "Alice <x>", githubLogin: "alice", githubId: 7 }, "https://github.com")).toEqual({
      name: "Alice x",
      email: "7+alice@users.noreply.github.com",
    });
    expect(authorIdentity({ name: null, githubLogin: "bob", githubId: null }, "https://ghe.example.com/")).toEqual({
      name: "bob",
      email: "bob@users.noreply.ghe.example.com",
    });
    expect(authorIdentity({ name: "N", githubLogin: null, githubId: 1 }, "https://github.com")).toBeNull();
  });
});
