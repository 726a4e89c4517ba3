import { describe, expect, it } from "vitest";
import { commentableLines, rightSideLines } from "./diff-lines";
import { buildReview, buildReviewPrompt, parseReviewAnswer, REVIEW_FENCE } from "./review-format";
import { sign, verifySignature } from "./signature";

const PATCH = "@@ -1,6 +1,7 @@\n function sum(numbers) {\n   let total = 0;\n-  for (const n of numbers) total += n;\n+  for (const n of numbers) {\n+    total += Number(n);\n+  }\n   return total;\n }\n@@ -20,2 +21,3 @@ module.exports\n a\n+b\n c";

describe("the lines a review may comment on", () => {
  it("are the new side's context and added lines of each hunk", () => {
    expect([...rightSideLines(PATCH)]).toEqual([1, 2, 3, 4, 5, 6, 7, 21, 22, 23]);
    expect(rightSideLines(null).size).toBe(0);
    expect([...rightSideLines("@@ -0,0 +1,2 @@\n+a\n+b\n")]).toEqual([1, 2]);
    expect([...rightSideLines("@@ -1,2 +1,1 @@\n-a\n b\n\\ No newline at end of file")]).toEqual([1]);
    expect(commentableLines([{ filename: "bin.png" }]).get("bin.png")?.size).toBe(0);
  });
});

describe("the review's answer", () => {
  const answer = (json: unknown, before = "Intro 【F:src/sum.js†L1-L2】.") => `${before}\n\n\`\`\`${REVIEW_FENCE}\n${JSON.stringify(json)}\n\`\`\`\n`;

  it("reads the last patchbay-review block, normalizes paths and severities, drops empty findings", () => {
    const parsed = parseReviewAnswer(
      answer({
        summary: "Mostly fine 【F:src/a.js†L1-L1】.",
        findings: [
          { file: "./src/sum.js", line: "4", severity: "p1", title: "NaN", body: "Number('x')" },
          { file: "b/src/x.js", line: null, severity: "P9", title: "No line", body: "" },
          { file: "src/y.js", line: 2, title: "", body: "" },
        ],
      }),
    );
    expect(parsed).toEqual({
      summary: "Mostly fine (src/a.js:L1-L1).",
      structured: true,
      findings: [
        { file: "src/sum.js", line: 4, severity: "P1", title: "NaN", body: "Number('x')" },
        { file: "src/x.js", line: null, severity: "P2", title: "No line", body: "" },
      ],
    });
  });

  it("keeps a message without a block (or with broken JSON) whole as the summary", () => {
    expect(parseReviewAnswer("Looks good to me.")).toEqual({ summary: "Looks good to me.", findings: [], structured: false });
    expect(parseReviewAnswer(`Hmm\n\n\`\`\`${REVIEW_FENCE}\n{not json\n\`\`\``).structured).toBe(false);
  });

  it("puts findings on changed lines inline, ranked P0 first, and the rest in the summary", () => {
    const review = buildReview({
      answer: {
        summary: "Summary.",
        structured: true,
        findings: [
          { file: "src/sum.js", line: 5, severity: "P3", title: "Nit", body: "Small." },
          { file: "src/sum.js", line: 4, severity: "P0", title: "Breaks", body: "Badly." },
          { file: "src/sum.js", line: 10, severity: "P1", title: "Outside", body: "Not changed." },
          { file: "README.md", line: null, severity: "P2", title: "Docs", body: "Say it." },
        ],
      },
      commentable: commentableLines([{ filename: "src/sum.js", patch: PATCH }]),
      taskUrl: "https://pb.example/tasks/1",
      requestedBy: "alice",
    });
    expect(review.comments).toEqual([
      { path: "src/sum.js", line: 4, side: "RIGHT", body: "**P0** · Breaks\n\nBadly." },
      { path: "src/sum.js", line: 5, side: "RIGHT", body: "**P3** · Nit\n\nSmall." },
    ]);
    expect(review.body).toBe(
      [
        "### Patchbay review",
        "",
        "Summary.",
        "",
        "**Findings:** 1 × P0, 1 × P1, 1 × P2, 1 × P3 (2 inline)",
        "",
        "Not on a changed line:",
        "- `src/sum.js:10` **P1** · Outside — Not changed.",
        "- `README.md` **P2** · Docs — Say it.",
        "",
        "---",
        "[View this review in Patchbay](https://pb.example/tasks/1) · asked by @alice",
      ].join("\n"),
    );
  });

  it("says so when there is nothing to report", () => {
    const review = buildReview({ answer: { summary: "Clean.", findings: [], structured: true }, commentable: new Map(), taskUrl: "u", requestedBy: null });
    expect(review).toEqual({ body: "### Patchbay review\n\nClean.\n\nNo issues found.\n\n---\n[View this review in Patchbay](u)", comments: [] });
  });

  it("asks for the block in the prompt, with the diff command and the files", () => {
    const prompt = buildReviewPrompt({
      repoFullName: "acme/widgets",
      number: 7,
      title: "Sum strings",
      description: "Why:\nforms",
      baseRef: "main",
      baseSha: "a".repeat(40),
      headRef: "feature/x",
      headSha: "b".repeat(40),
      files: [{ filename: "src/sum.js", status: "modified", additions: 3, deletions: 1 }],
      focus: "errors",
    });
    expect(prompt.split("\n")[0]).toBe('Review pull request #7 of acme/widgets: "Sum strings"');
    expect(prompt).toContain(`git diff ${"a".repeat(40)}...HEAD`);
    expect(prompt).toContain("> Why:\n> forms");
    expect(prompt).toContain("- src/sum.js (modified, +3 −1)");
    expect(prompt).toContain("focus on: errors");
    expect(prompt).toContain("block tagged patchbay-review");
    expect(prompt).toContain("```patchbay-review\n{");
  });
});

describe("webhook signatures", () => {
  it("accepts exactly the HMAC-SHA256 of the raw body with the secret", () => {
    const body = Buffer.from('{"a":1}');
    const signature = sign("s3cret-s3cret-s3cret", body);
    expect(verifySignature({ secret: "s3cret-s3cret-s3cret", body, signature })).toBe(true);
    expect(verifySignature({ secret: "s3cret-s3cret-s3cret", body: '{"a": 1}', signature })).toBe(false);
    expect(verifySignature({ secret: "another-secret-here", body, signature })).toBe(false);
    expect(verifySignature({ secret: "s3cret-s3cret-s3cret", body, signature: signature.replace("sha256=", "sha1=") })).toBe(false);
    expect(verifySignature({ secret: "s3cret-s3cret-s3cret", body, signature: signature.slice(0, -2) })).toBe(false);
    expect(verifySignature({ secret: "s3cret-s3cret-s3cret", body, signature: null })).toBe(false);
    expect(verifySignature({ secret: "", body, signature })).toBe(false);
  });
});
