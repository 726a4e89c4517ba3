import { z } from "zod";
import { stripCitations } from "@/lib/pr/body";

/**
 * The review's contract with the agent: the Ask task's prompt asks for the findings as one fenced block tagged
 * `patchbay-review` holding JSON, and what comes back is turned into ONE GitHub review — each finding on a line the
 * pull request changed becomes an inline comment there; the others are listed in the review's summary. Pure
 * functions.
 */

export const REVIEW_FENCE = "patchbay-review";

export const SEVERITIES = ["P0", "P1", "P2", "P3"] as const;
export type Severity = (typeof SEVERITIES)[number];

const SEVERITY_MEANING: Record<Severity, string> = {
  P0: "drop everything: it breaks the build, production or security",
  P1: "urgent: must be fixed before this is merged",
  P2: "normal: should be fixed",
  P3: "low: a nit or a suggestion",
};

export type ChangedFile = { filename: string; status: string; additions: number; deletions: number };

export type ReviewRequest = {
  repoFullName: string;
  number: number;
  title: string;
  description: string | null;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  files: ChangedFile[];
  /** What the person asked to focus on (`@patchbay review <focus>`), if anything. */
  focus: string;
};

const MAX_DESCRIPTION = 3000;
const MAX_FILES_LISTED = 200;

/** The Ask task's prompt: what to review, how to see the changes, and the exact form of the answer. */
export function buildReviewPrompt(r: ReviewRequest): string {
  const description = (r.description ?? "").trim();
  const clipped = description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION)}…` : description;
  const files = r.files.slice(0, MAX_FILES_LISTED).map((f) => `- ${f.filename} (${f.status}, +${f.additions} −${f.deletions})`);
  if (r.files.length > MAX_FILES_LISTED) files.push(`- … and ${r.files.length - MAX_FILES_LISTED} more files`);
  return [
    `Review pull request #${r.number} of ${r.repoFullName}: "${r.title}"`,
    "",
    `The checkout is the pull request's head (${r.headRef} at ${r.headSha.slice(0, 12)}). Its changes are those of ` +
      `\`git diff ${r.baseSha}...HEAD\` (against ${r.baseRef}); read the surrounding code as needed.`,
    ...(clipped ? ["", "The pull request's description:", ...clipped.split("\n").map((l) => `> ${l}`)] : []),
    "",
    "Changed files:",
    ...(files.length ? files : ["- (none listed)"]),
    ...(r.focus ? ["", `The person who asked for this review wants you to focus on: ${r.focus}`] : []),
    "",
    "Look for bugs, security problems, broken edge cases, missing error handling and missing tests that the changes " +
      "introduce. Comment only on what the pull request changed, on lines of the new version of a file. Do not repeat " +
      "what the code obviously does; say what is wrong and how to fix it. Rank each finding:",
    ...SEVERITIES.map((s) => `- ${s}: ${SEVERITY_MEANING[s]}`),
    "",
    `End your answer with exactly one fenced block tagged ${REVIEW_FENCE} holding JSON of this shape (no findings: an ` +
      "empty list):",
    "",
    "```" + REVIEW_FENCE,
    '{"summary": "One paragraph: what the pull request does and whether it is ready.",',
    ' "findings": [{"file": "path/in/repo.js", "line": 12, "severity": "P1", "title": "Short title", "body": "What is wrong and how to fix it."}]}',
    "```",
  ].join("\n");
}

export type Finding = { file: string; line: number | null; severity: Severity; title: string; body: string };
export type ReviewAnswer = { summary: string; findings: Finding[]; structured: boolean };

const severity = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.enum(SEVERITIES))
  .catch("P2");

const finding = z.object({
  file: z.string().min(1).max(1000),
  line: z.coerce.number().int().positive().nullable().optional().catch(null),
  severity: severity.optional().default("P2"),
  title: z.string().max(300).optional().default(""),
  body: z.string().max(20_000).optional().default(""),
});

const answer = z.object({
  summary: z.string().max(20_000).optional().default(""),
  findings: z.array(z.unknown()).max(500).optional().default([]),
});

function normalizePath(p: string): string {
  return p.trim().replace(/^\.?\//, "").replace(/^[ab]\//, "");
}

const FENCE = new RegExp("(^|\\n)\\s{0,3}(`{3,}|~{3,})\\s*" + REVIEW_FENCE + "\\s*\\n([\\s\\S]*?)\\n\\s{0,3}\\2\\s*(?=\\n|$)", "g");

/**
 * The summary and findings of the agent's final message. A message without a parseable block is kept whole as the
 * summary (with no findings), so that a review is still posted.
 */
export function parseReviewAnswer(message: string): ReviewAnswer {
  const text = message.replace(/\r\n?/g, "\n");
  const blocks = [...text.matchAll(FENCE)];
  const last = blocks[blocks.length - 1];
  const outside = stripCitations(last ? text.replace(last[0], "\n") : text).trim();
  if (!last) return { summary: outside, findings: [], structured: false };
  let json: unknown;
  try {
    json = JSON.parse(last[3]);
  } catch {
    return { summary: outside || stripCitations(text).trim(), findings: [], structured: false };
  }
  const parsed = answer.safeParse(json);
  if (!parsed.success) return { summary: outside, findings: [], structured: false };
  const findings: Finding[] = [];
  for (const raw of parsed.data.findings) {
    const f = finding.safeParse(raw);
    if (!f.success || (!f.data.title.trim() && !f.data.body.trim())) continue;
    findings.push({
      file: normalizePath(f.data.file),
      line: f.data.line ?? null,
      severity: f.data.severity,
      title: stripCitations(f.data.title).trim(),
      body: stripCitations(f.data.body).trim(),
    });
  }
  const summary = stripCitations(parsed.data.summary).trim() || outside;
  return { summary, findings, structured: true };
}

export type ReviewComment = { path: string; line: number; side: "RIGHT"; body: string };
export type ReviewPayload = { body: string; comments: ReviewComment[] };

const MAX_INLINE = 50;
const MAX_REVIEW_BODY = 60_000;

const rank = (s: Severity) => SEVERITIES.indexOf(s);

function findingText(f: Finding): string {
  const title = f.title || f.body.split("\n")[0].slice(0, 120);
  const body = f.title ? f.body : f.body.split("\n").slice(1).join("\n").trim();
  return `**${f.severity}** · ${title}${body ? `\n\n${body}` : ""}`;
}

function counts(findings: Finding[]): string {
  return SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} × ${s}`)
    .join(", ");
}

/**
 * One review: the findings ranked P0 first, each on its line when that line is in the diff (`commentable`), the rest
 * (another file, a line the pull request did not touch, no line, beyond the inline cap) listed in the summary.
 */
export function buildReview(opts: {
  answer: ReviewAnswer;
  commentable: Map<string, Set<number>>;
  taskUrl: string;
  requestedBy: string | null;
}): ReviewPayload {
  const ranked = [...opts.answer.findings].sort(
    (a, b) => rank(a.severity) - rank(b.severity) || a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0),
  );
  const comments: ReviewComment[] = [];
  const elsewhere: Finding[] = [];
  for (const f of ranked) {
    const lines = opts.commentable.get(f.file);
    if (f.line !== null && lines?.has(f.line) && comments.length < MAX_INLINE) {
      comments.push({ path: f.file, line: f.line, side: "RIGHT", body: findingText(f) });
    } else {
      elsewhere.push(f);
    }
  }
  const parts = ["### Patchbay review", "", opts.answer.summary || "Patchbay reviewed this pull request."];
  if (ranked.length === 0) {
    parts.push("", opts.answer.structured ? "No issues found." : "");
  } else {
    parts.push("", `**Findings:** ${counts(ranked)}${comments.length ? ` (${comments.length} inline)` : ""}`);
  }
  if (elsewhere.length) {
    parts.push("", comments.length ? "Not on a changed line:" : "");
    for (const f of elsewhere) {
      const where = `\`${f.file}${f.line !== null ? `:${f.line}` : ""}\``;
      const text = findingText(f).replace(/\n\n/, " — ").replace(/\n+/g, " ");
      parts.push(`- ${where} ${text}`);
    }
  }
  const footer = `---\n[View this review in Patchbay](${opts.taskUrl})${opts.requestedBy ? ` · asked by @${opts.requestedBy}` : ""}`;
  let body = parts.filter((p, i, all) => !(p === "" && all[i - 1] === "")).join("\n").trim();
  if (body.length + footer.length + 2 > MAX_REVIEW_BODY) body = `${body.slice(0, MAX_REVIEW_BODY - footer.length - 10)}\n…`;
  return { body: `${body}\n\n${footer}`, comments };
}
