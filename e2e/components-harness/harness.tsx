// A throwaway page that mounts the log, diff and markdown components with generated data (see run.ts).
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { DiffView, type DiffViewMode } from "@/components/diff";
import { LogView, type TaskEventDTO } from "@/components/log";
import type { Citation, DiffFocus, LogFocus } from "@/components/log/types";
import { AgentMarkdown } from "@/components/markdown";

const params = new URLSearchParams(location.search);
const logLines = Number(params.get("lines") ?? 300);
const diffLines = Number(params.get("diff") ?? 600);
const what = params.get("what") ?? "all";
if (params.get("theme") === "dark") document.documentElement.dataset.theme = "dark";

let seq = 0;
const ev = (type: TaskEventDTO["type"], payload: Record<string, unknown>, turn = 1): TaskEventDTO => {
  seq++;
  return { id: seq, seq, attemptId: "a1", turn, type, payload, createdAt: new Date().toISOString() };
};

function initialEvents(): TaskEventDTO[] {
  const list = [
    ev("status", { status: "running" }),
    ev("log", { chunkId: "setup", stream: "system", text: "Checked out acme/greeter@main (1a2b3c4) in 412 ms\n" }),
    ev("plan", { explanation: "Fix the greeting and cover it with a test.", plan: [
      { step: "Read src/greet.js", status: "completed" },
      { step: "Patch the greeting", status: "in_progress" },
      { step: "Run the tests", status: "pending" },
    ] }),
    ev("message_delta", { text: "I'll look at the greeting code first." }),
    ev("command", { phase: "start", commandId: "cmd_1", chunkId: "c1", argv: ["bash", "-lc", "cat src/greet.js"], cwd: "" }),
    ev("log", { chunkId: "c1", stream: "stdout", text: "export function greet(name) {\n  return 'Hello ' + name;\n}\n" }),
    ev("command", { phase: "end", commandId: "cmd_1", chunkId: "c1", exitCode: 0, durationMs: 38, timedOut: false, truncated: false }),
    ev("patch", { changed: [{ path: "src/greet.js", kind: "update" }, { path: "test/greet.test.js", kind: "add" }], failures: [] }),
    ev("command", { phase: "start", commandId: "cmd_2", chunkId: "c2", argv: ["npm", "test"], cwd: "" }),
    ev("log", { chunkId: "c2", stream: "stdout", text: "\n> greeter@1.0.0 test\n> node --test\n\n\x1b[32m✔ greets by name\x1b[39m (0.9ms)\n\x1b[31m✖ greets politely\x1b[39m\n  \x1b[2mExpected 'Hello, Ada!' got 'Hello Ada'\x1b[22m\n" }),
    ev("log", { chunkId: "c2", stream: "stderr", text: "npm ERR! Test failed.  See above for more details.\n" }),
    ev("command", { phase: "end", commandId: "cmd_2", chunkId: "c2", exitCode: 1, durationMs: 1840, timedOut: false, truncated: false }),
    ev("command", { phase: "start", commandId: "cmd_3", chunkId: "c3", argv: ["bash", "-lc", "for i in $(seq 1 N); do echo \"line $i\"; done"], cwd: "" }),
  ];
  return list;
}

function StreamingLog({ onReady }: { onReady: (n: number) => void }) {
  const [events, setEvents] = useState<TaskEventDTO[]>(initialEvents);
  const [live, setLive] = useState(true);
  const [focus, setFocus] = useState<LogFocus | undefined>();
  useEffect(() => {
    let sent = 0;
    const perTick = Math.max(50, Math.ceil(logLines / 40));
    const timer = setInterval(() => {
      if (sent >= logLines) {
        clearInterval(timer);
        setEvents((prev) => [
          ...prev,
          ev("command", { phase: "end", commandId: "cmd_3", chunkId: "c3", exitCode: 0, durationMs: 61_250, timedOut: false, truncated: true }),
          ev("error", { code: "step_limit", message: "the agent did not finish within 40 model calls" }),
        ]);
        setLive(false);
        onReady(sent);
        return;
      }
      let text = "";
      const n = Math.min(perTick, logLines - sent);
      for (let k = 0; k < n; k++) text += `line ${sent + k + 1} ${k % 7 === 0 ? "\x1b[33mwarn\x1b[0m " : ""}${"·".repeat(k % 40)}\n`;
      sent += n;
      // Split mid-line on purpose: the log joins the pieces.
      const cut = Math.floor(text.length / 2);
      setEvents((prev) => [...prev, ev("log", { chunkId: "c3", stream: "stdout", text: text.slice(0, cut) }), ev("log", { chunkId: "c3", stream: "stdout", text: text.slice(cut) })]);
    }, 25);
    return () => clearInterval(timer);
  }, [onReady]);
  useEffect(() => {
    (window as unknown as { focusLog: (f: LogFocus) => void }).focusLog = setFocus;
  }, []);
  return <LogView events={events} live={live} focus={focus} />;
}

function bigDiff(lines: number): string {
  const out: string[] = [
    "diff --git a/src/greet.js b/src/greet.js",
    "index 1111111..2222222 100644",
    "--- a/src/greet.js",
    "+++ b/src/greet.js",
    "@@ -1,3 +1,4 @@",
    " export function greet(name) {",
    "-  return 'Hello ' + name;",
    "+  const who = name?.trim() || 'there';",
    "+  return `Hello, ${who}!`;",
    " }",
    "diff --git a/assets/logo.png b/assets/logo.png",
    "index 3333333..4444444 100644",
    "GIT binary patch",
    "literal 4",
    "LcmZQzWn%{b044wv",
    "",
    "literal 3",
    "KcmZQzWC8#H2LJ>B",
    "",
    "diff --git a/old/util.js b/lib/util.js",
    "similarity index 100%",
    "rename from old/util.js",
    "rename to lib/util.js",
    "diff --git a/test/greet.test.js b/test/greet.test.js",
    "new file mode 100644",
    "index 0000000..5555555",
    "--- /dev/null",
    "+++ b/test/greet.test.js",
    "@@ -0,0 +1,3 @@",
    "+import { greet } from '../src/greet.js';",
    "+import assert from 'node:assert';",
    "+assert.equal(greet('Ada'), 'Hello, Ada!');",
  ];
  let made = 0;
  for (let f = 0; made < lines; f++) {
    const size = f === 3 ? 900 : 120;
    out.push(`diff --git a/src/gen/file${f}.ts b/src/gen/file${f}.ts`, "index aaaaaaa..bbbbbbb 100644", `--- a/src/gen/file${f}.ts`, `+++ b/src/gen/file${f}.ts`);
    out.push(`@@ -1,${size} +1,${size} @@ export class Generated${f} {`);
    for (let i = 0; i < size; i += 3) {
      out.push(` const keep${i} = ${i}; // an unchanged line that is fairly long to show wrapping behaviour in narrow panes`, `-const v${i} = ${i};`, `+const v${i} = ${i} + 1;`);
    }
    made += size + size / 3;
  }
  return out.join("\n") + "\n";
}

const MESSAGE = `## Summary
- Fixed the greeting to add a comma and an exclamation mark 【F:src/greet.js†L1-L3】
- Added a test for the polite greeting 【F:test/greet.test.js†L1-L3】
- See the [Node test runner docs](https://nodejs.org/api/test.html); this [link](javascript:alert(1)) stays text.

## Testing
- ⚠️ \`npm test\` failed before the fix 【c2†L5-L7】
- ✅ \`npm test\` 【c3†L10-L12】

\`\`\`js
export function greet(name) { return \`Hello, \${name}!\`; }
\`\`\`
`;

function App() {
  const [view, setView] = useState<DiffViewMode>("unified");
  const [diffFocus, setDiffFocus] = useState<DiffFocus | undefined>();
  const [logReady, setLogReady] = useState(-1);
  const [diff] = useState(() => bigDiff(diffLines));
  const [cited, setCited] = useState<Citation | null>(null);
  return (
    <div className="mx-auto grid max-w-[1400px] gap-4 p-4 lg:grid-cols-2">
      {(what === "all" || what === "md") && (
        <section className="rounded-xl border border-border bg-surface p-4 lg:col-span-2" data-testid="md">
          <AgentMarkdown
            text={MESSAGE}
            onCitation={(c) => {
              setCited(c);
              if (c.kind === "file") setDiffFocus({ path: c.path, lines: c.lines });
              else (window as unknown as { focusLog: (f: LogFocus) => void }).focusLog({ chunkId: c.chunkId, lines: c.lines });
            }}
          />
          <p className="mt-2 text-xs text-muted" data-testid="cited">{cited ? JSON.stringify(cited) : "no citation clicked"}</p>
        </section>
      )}
      {(what === "all" || what === "log") && (
        <section className="h-[640px]" data-testid="log" data-ready={logReady}>
          <StreamingLog onReady={setLogReady} />
        </section>
      )}
      {(what === "all" || what === "diff") && (
        <section data-testid="diff">
          {/* In the page's flow, as on the task page: the window scrolls it (no app bar here to stick under). */}
          <DiffView diff={diff} view={view} onViewChange={setView} focus={diffFocus} stickyTop={0} />
        </section>
      )}
    </div>
  );
}

const t0 = performance.now();
createRoot(document.getElementById("root")!).render(<App />);
requestAnimationFrame(() => setTimeout(() => ((window as unknown as { firstPaint: number }).firstPaint = performance.now() - t0), 0));
