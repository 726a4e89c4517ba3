/**
 * The pull request's description, built from what the agent said and did in EVERY turn of the attempt (not only
 * the last): `## Summary` bullets from each turn's final message, `## Testing` from the checks it ran, then a link
 * back to the task. Pure functions over task_events payloads.
 */

export type AttemptEventLite = { seq: number; turn: number; type: string; payload: Record<string, unknown> };

export type CheckRun = { command: string; outcome: "passed" | "failed" | "timed_out" | "unfinished"; exitCode: number | null };

const MAX_BODY = 60_000; // GitHub caps a PR body at 65,536 characters.
const MAX_COMMAND = 160;

/**
 * Citations are for Patchbay's UI: `【F:src/a.js†L1-L3】` becomes `src/a.js:L1-L3` (plain, GitHub cannot follow
 * it), a log-chunk citation `【c4†L1-L2】` means nothing on GitHub and goes.
 */
export function stripCitations(text: string): string {
  return text
    .replace(/\s*【F:([^†】]+)†([^】]*)】/g, (_m, file: string, lines: string) => ` (${file.trim()}${lines.trim() ? `:${lines.trim()}` : ""})`)
    .replace(/\s*【F:([^】]+)】/g, (_m, file: string) => ` (${file.trim()})`)
    .replace(/\s*【[^】]*】/g, "")
    .replace(/[ \t]+$/gm, "");
}

const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/;

/** Bullets of the message's `## Summary` section, or its first paragraph as one bullet. */
export function summaryBullets(message: string): string[] {
  const lines = message.replace(/\r\n/g, "\n").split("\n");
  const start = lines.findIndex((l) => {
    const h = HEADING.exec(l);
    return h !== null && /^summary\b/i.test(h[1]);
  });
  if (start >= 0) {
    const bullets: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (HEADING.test(line)) break;
      const b = BULLET.exec(line);
      if (b) bullets.push(b[1].trim());
      else if (line.trim() && bullets.length > 0 && /^\s{2,}\S/.test(line)) bullets[bullets.length - 1] += ` ${line.trim()}`;
    }
    const kept = bullets.map((b) => stripCitations(b).trim()).filter(Boolean);
    if (kept.length > 0) return kept;
  }
  const paragraph: string[] = [];
  for (const line of lines) {
    if (HEADING.test(line)) {
      if (paragraph.length) break;
      continue;
    }
    if (!line.trim()) {
      if (paragraph.length) break;
      continue;
    }
    paragraph.push((BULLET.exec(line)?.[1] ?? line).trim());
  }
  const text = stripCitations(paragraph.join(" ")).trim();
  return text ? [text] : [];
}

const SHELLS = /(^|\/)(ba|z|da|k)?sh$/;
const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The command as a person would type it: `bash -lc "npm test"` shows as `npm test`. */
export function displayCommand(argv: string[]): string {
  if (argv.length >= 3 && SHELLS.test(argv[0]) && /^-\w*c$/.test(argv[argv.length - 2])) return argv[argv.length - 1].trim();
  return argv.map((a) => (SAFE_ARG.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

// Reading, searching and moving around are not checks, even when a path says "test".
const NOT_CHECKS = new Set([
  "cat", "less", "more", "head", "tail", "ls", "grep", "rg", "ag", "find", "fd", "sed", "awk", "echo", "printf", "wc",
  "diff", "git", "nl", "tree", "stat", "file", "cd", "pwd", "which", "type", "mkdir", "rm", "cp", "mv", "touch", "chmod",
  "apply_patch", "true", "sleep", "env", "export", "xargs",
]);
const CHECK_WORDS =
  /\b(test|tests|spec|specs|check|checks|lint|eslint|tsc|typecheck|type-check|pytest|unittest|jest|vitest|mocha|ava|tap|rspec|phpunit|ctest|clippy|vet|mypy|pyright|pylint|flake8|ruff|black|prettier|rubocop|shellcheck|build|verify|ci)\b/i;

/** A command that checks the work: a test runner, a linter, a type checker, a build. */
export function looksLikeCheck(command: string): boolean {
  const first = command.trim().split(/\s+/)[0] ?? "";
  const tool = first.split("/").pop() ?? first;
  if (NOT_CHECKS.has(tool)) return false;
  return CHECK_WORDS.test(command);
}

/** Each distinct check across all turns, in the order first run, with the outcome of its latest run. */
export function checkRuns(events: AttemptEventLite[]): CheckRun[] {
  const starts = new Map<string, string>();
  const runs = new Map<string, CheckRun>();
  for (const e of events) {
    if (e.type !== "command") continue;
    const key = `${e.turn}:${String(e.payload.chunkId ?? e.payload.commandId ?? e.seq)}`;
    if (e.payload.phase === "start") {
      const argv = Array.isArray(e.payload.argv) ? e.payload.argv.map(String) : [];
      const command = displayCommand(argv);
      if (!command || !looksLikeCheck(command)) continue;
      starts.set(key, command);
      // Until its end event arrives, the latest run of this command did not finish. (Map.set keeps a re-run in
      // the place of the first run.)
      runs.set(command, { command, outcome: "unfinished", exitCode: null });
    } else if (e.payload.phase === "end") {
      const command = starts.get(key);
      if (!command) continue;
      const exitCode = typeof e.payload.exitCode === "number" ? e.payload.exitCode : null;
      const outcome = e.payload.timedOut === true ? "timed_out" : exitCode === 0 ? "passed" : "failed";
      runs.set(command, { command, outcome, exitCode });
    }
  }
  return [...runs.values()];
}

function inlineCode(text: string): string {
  const clipped = text.length > MAX_COMMAND ? `${text.slice(0, MAX_COMMAND - 1)}…` : text;
  const oneLine = clipped.replace(/\s*\n\s*/g, " ⏎ ");
  const longest = Math.max(0, ...(oneLine.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  const pad = longest > 0 || oneLine.startsWith("`") || oneLine.endsWith("`") ? " " : "";
  return `${fence}${pad}${oneLine}${pad}${fence}`;
}

export function checkLine(run: CheckRun): string {
  const code = inlineCode(run.command);
  switch (run.outcome) {
    case "passed":
      return `- ✅ ${code}`;
    case "failed":
      return `- ❌ ${code}${run.exitCode !== null ? ` (exit ${run.exitCode})` : ""}`;
    case "timed_out":
      return `- ❌ ${code} (timed out)`;
    case "unfinished":
      return `- ⚠️ ${code} (did not finish)`;
  }
}

/** Summary bullets from the final message of every turn, in turn order, without repeats. */
export function allTurnBullets(events: AttemptEventLite[], turns?: (turn: number) => boolean): string[] {
  const finals = new Map<number, string>();
  for (const e of events) {
    if (e.type === "message" && typeof e.payload.text === "string" && (!turns || turns(e.turn))) finals.set(e.turn, e.payload.text);
  }
  const seen = new Set<string>();
  const bullets: string[] = [];
  for (const turn of [...finals.keys()].sort((a, b) => a - b)) {
    for (const b of summaryBullets(finals.get(turn)!)) {
      const oneLine = b.replace(/\s*\n\s*/g, " ");
      if (!seen.has(oneLine)) {
        seen.add(oneLine);
        bullets.push(oneLine);
      }
    }
  }
  return bullets;
}

export function buildPullRequestBody(opts: { title: string; events: AttemptEventLite[]; taskUrl: string; fixesIssue?: number | null }): string {
  const bullets = allTurnBullets(opts.events);
  const checks = checkRuns(opts.events);
  const summary = (bullets.length ? bullets : [opts.title]).map((b) => `- ${b}`);
  const testing = checks.length ? checks.map(checkLine) : ["- No checks were run."];
  // A task started from an issue closes it when merged (GitHub's closing keyword).
  const fixes = opts.fixesIssue ? `Fixes #${opts.fixesIssue}\n\n` : "";
  const footer = `${fixes}---\n[View this task in Patchbay](${opts.taskUrl})`;
  let head = `## Summary\n${summary.join("\n")}\n\n## Testing\n${testing.join("\n")}`;
  if (head.length + footer.length + 4 > MAX_BODY) head = `${head.slice(0, MAX_BODY - footer.length - 10)}\n…`;
  return `${head}\n\n${footer}\n`;
}

/**
 * A commit's subject from what the agent said in these turns: the first summary bullet of the latest of them (file
 * references dropped, cut near 72 characters), or null when it said nothing usable.
 */
export function turnSubject(events: AttemptEventLite[], turns: (turn: number) => boolean): string | null {
  let latest: { turn: number; text: string } | null = null;
  for (const e of events) {
    if (e.type === "message" && typeof e.payload.text === "string" && turns(e.turn) && (!latest || e.turn >= latest.turn)) {
      latest = { turn: e.turn, text: e.payload.text };
    }
  }
  const first = latest ? summaryBullets(latest.text)[0] : undefined;
  if (!first) return null;
  const line = first
    .replace(/\s*\([^()\s]+:L\d+(?:-L\d+)?\)/g, "")
    .replace(/\s*\([^()\s]+\.[A-Za-z0-9]+\)/g, "")
    .replace(/\s+/g, " ")
    .replace(/[\s.;:,]+$/, "")
    .trim();
  if (!line) return null;
  const subject = line[0].toUpperCase() + line.slice(1);
  if (subject.length <= 72) return subject;
  const cut = subject.slice(0, 72);
  const space = cut.lastIndexOf(" ");
  return `${(space > 40 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, "")}…`;
}

/** A commit message: the subject, a blank line, then a short body. */
export function commitMessage(subject: string, bullets: string[], taskUrl: string): string {
  const firstLine = subject.replace(/\s+/g, " ").trim() || "Patchbay changes";
  const lines = bullets.slice(0, 10).map((b) => `- ${b.length > 200 ? `${b.slice(0, 199)}…` : b}`);
  return `${firstLine}\n\n${lines.length ? `${lines.join("\n")}\n\n` : ""}Patchbay-Task: ${taskUrl}\n`;
}
