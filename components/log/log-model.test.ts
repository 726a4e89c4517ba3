import { describe, expect, it } from "vitest";
import { AnsiLineParser, resolveCarriageReturns } from "./ansi";
import { buildRowIndex, formatDuration, lineAt, lineCount, LogModel, rowAt, shellJoin, type CommandItem } from "./log-model";
import type { TaskEventDTO } from "./types";

let seq = 0;
function ev(type: TaskEventDTO["type"], payload: Record<string, unknown>, turn = 1): TaskEventDTO {
  seq++;
  return { id: seq, attemptId: "att1", seq, turn, type, payload, createdAt: new Date(0).toISOString() };
}
const start = (chunkId: string, argv: string[]) => ev("command", { phase: "start", commandId: `cmd_${chunkId}`, chunkId, argv, cwd: "" });
const end = (chunkId: string, exitCode: number | null, extra: Record<string, unknown> = {}) =>
  ev("command", { phase: "end", commandId: `cmd_${chunkId}`, chunkId, exitCode, durationMs: 1234, timedOut: false, truncated: false, ...extra });
const log = (chunkId: string, text: string, stream = "stdout") => ev("log", { chunkId, stream, text, commandId: `cmd_${chunkId}` });
const texts = (b: CommandItem) => Array.from({ length: lineCount(b) }, (_, i) => lineAt(b, i).text);

describe("LogModel", () => {
  it("shows the agent's thinking, retries, compaction, network decisions and typed input", () => {
    const m = new LogModel();
    m.ingest([
      ev("reasoning_delta", { text: "Look at the " }),
      ev("reasoning_delta", { text: "tests first" }),
      ev("reasoning", { text: "Look at the tests first." }),
      ev("retry", { attempt: 1, maxRetries: 3, delayMs: 1500, code: "rate_limited", status: 429, message: "Rate limited" }),
      ev("compaction", { reason: "context_window", droppedOutputs: 4, summarized: false, tokensBefore: 9000, tokensAfter: 3000 }),
      ev("network", { phase: "agent", kind: "refused", host: "evil.example", port: 80, method: "GET", reason: "allowlist", message: "evil.example is not on this environment's internet allowlist" }),
      start("c1", ["python3", "-i"]),
      log("c1", "print(1)\n", "stdin"),
    ]);
    const kinds = m.items.map((i) => i.kind);
    expect(kinds).toEqual(["reasoning", "retry", "compaction", "network", "command"]);
    expect(m.items[0]).toMatchObject({ kind: "reasoning", text: "Look at the tests first.", final: true });
    expect(m.items[1]).toMatchObject({ kind: "retry", delayMs: 1500, attempt: 1, maxRetries: 3 });
    expect(m.items[3]).toMatchObject({ kind: "network", verdict: "refused", host: "evil.example" });
    expect(m.findChunk("c1")!.lines[0]).toMatchObject({ text: "print(1)", stream: "stdin" });
  });

  it("joins output split anywhere into lines numbered like the combined stdout+stderr text", () => {
    const m = new LogModel();
    m.ingest([start("c1", ["npm", "test"]), log("c1", "li"), log("c1", "ne 1\nline"), log("c1", " 2\nerr\n", "stderr"), log("c1", "tail")]);
    const block = m.findChunk("c1")!;
    expect(texts(block)).toEqual(["line 1", "line 2", "err", "tail"]);
    expect(block.lines[2].stream).toBe("stderr");
    expect(block.ended).toBe(false);
    m.ingest([...[], end("c1", 0)]);
    expect(block).toMatchObject({ ended: true, exitCode: 0, durationMs: 1234, partial: "" });
    expect(block.lines).toHaveLength(4);
  });

  it("applies each event once (by seq), also when the array is replaced by a longer copy", () => {
    const events = [start("c1", ["ls"]), log("c1", "a\n")];
    const m = new LogModel();
    m.ingest(events);
    const more = [...events, log("c1", "b\n")];
    expect(m.ingest(more)).toBe(true);
    expect(m.ingest(more)).toBe(false);
    expect(m.ingest([...more].map((e) => ({ ...e })))).toBe(false);
    expect(texts(m.findChunk("c1")!)).toEqual(["a", "b"]);
  });

  it("keeps output without a command (setup) as its own block", () => {
    const m = new LogModel();
    m.ingest([log("setup", "Checked out repo\n", "system")]);
    expect(m.items[0]).toMatchObject({ kind: "command", chunkId: "setup", hasStart: false });
  });

  it("merges streamed text into one message and replaces it with the final one", () => {
    const m = new LogModel();
    m.ingest([ev("message_delta", { text: "Look" }), ev("message_delta", { text: "ing…" }), start("c1", ["ls"])]);
    m.ingest([ev("message_delta", { text: "Do" }), ev("message_delta", { text: "ne" }), ev("message", { text: "## Summary\nDone" })]);
    const messages = m.items.filter((i) => i.kind === "message");
    expect(messages).toMatchObject([
      { text: "Looking…", final: false },
      { text: "## Summary\nDone", final: true },
    ]);
  });

  it("records plans, patches, errors and turn boundaries", () => {
    const m = new LogModel();
    m.ingest([
      ev("plan", { explanation: null, plan: [{ step: "Read", status: "completed" }, { step: "Fix", status: "in_progress" }] }),
      ev("patch", { changed: [{ path: "src/greet.js", kind: "update" }], failures: [] }),
      ev("usage", { inputTokens: 1 }),
      ev("error", { code: "step_limit", message: "too many steps" }, 2),
    ]);
    expect(m.items.map((i) => i.kind)).toEqual(["plan", "patch", "turn", "error"]);
    expect(m.items[0]).toMatchObject({ steps: [{ step: "Read", status: "completed" }, { step: "Fix", status: "in_progress" }] });
  });

  it("carries ANSI colours across lines and handles carriage returns", () => {
    const m = new LogModel();
    m.ingest([start("c1", ["x"]), log("c1", "\x1b[31mred\nstill red\x1b[0m plain\nplain\n"), log("c1", "10%\r50%\r100%\n")]);
    const b = m.findChunk("c1")!;
    expect(b.lines[0].spans).toEqual([{ text: "red", fg: "#d1453b" }]);
    expect(b.lines[1].spans).toEqual([{ text: "still red", fg: "#d1453b" }, { text: " plain" }]);
    expect(b.lines[2]).toEqual({ text: "plain", spans: null, stream: "stdout" });
    expect(b.lines[3].text).toBe("100%");
  });

  it("lays out rows: collapsed commands are one row", () => {
    const m = new LogModel();
    m.ingest([start("c1", ["a"]), log("c1", "1\n2\n3\n"), end("c1", 0), start("c2", ["b"]), log("c2", "x\ny")]);
    const open = buildRowIndex(m.items, new Set());
    expect(open.total).toBe(4 + 3);
    expect(rowAt(open, 0)).toEqual({ item: 0, line: -1 });
    expect(rowAt(open, 3)).toEqual({ item: 0, line: 2 });
    expect(rowAt(open, 4)).toEqual({ item: 1, line: -1 });
    expect(rowAt(open, 6)).toEqual({ item: 1, line: 1 });
    const closed = buildRowIndex(m.items, new Set(["c1"]));
    expect(closed.total).toBe(1 + 3);
    expect(rowAt(closed, 1)).toEqual({ item: 1, line: -1 });
  });

  it("takes 100,000 lines in small events quickly, each append costing only its own text", () => {
    const m = new LogModel();
    m.ingest([start("c1", ["seq", "100000"])]);
    const events: TaskEventDTO[] = [];
    for (let i = 0; i < 2000; i++) {
      let text = "";
      for (let k = 0; k < 50; k++) text += `line ${i * 50 + k} \x1b[32mok\x1b[0m\n`;
      events.push(log("c1", text));
    }
    const t0 = performance.now();
    const growing: TaskEventDTO[] = [];
    for (const e of events) {
      growing.push(e);
      m.ingest(growing);
    }
    const elapsed = performance.now() - t0;
    expect(m.findChunk("c1")!.lines).toHaveLength(100_000);
    expect(elapsed).toBeLessThan(3000);
    const t1 = performance.now();
    const index = buildRowIndex(m.items, new Set());
    expect(rowAt(index, 100_000)).toEqual({ item: 0, line: 99_999 });
    expect(performance.now() - t1).toBeLessThan(50);
  });
});

describe("helpers", () => {
  it("joins argv like a shell would show it", () => {
    expect(shellJoin(["bash", "-lc", "npm test -- --watch=false"])).toBe("bash -lc 'npm test -- --watch=false'");
    expect(shellJoin(["echo", "it's", ""])).toBe("echo 'it'\\''s' ''");
  });
  it("formats durations", () => {
    expect([formatDuration(250), formatDuration(1234), formatDuration(42_000), formatDuration(252_000)]).toEqual(["250 ms", "1.2 s", "42 s", "4m 12s"]);
  });
  it("parses SGR without sharing state between spans", () => {
    const p = new AnsiLineParser();
    expect(p.parse("\x1b[1mA\x1b[4mB\x1b[0mC")).toEqual([{ text: "A", bold: true }, { text: "B", bold: true, underline: true }, { text: "C" }]);
    expect(p.parse("\x1b]0;title\x07\x1b[2Kdone")).toEqual([{ text: "done" }]);
    expect(p.peek("\x1b[34mx")).toEqual([{ text: "x", fg: "#3b7dd8" }]);
    expect(p.isPlain()).toBe(true);
    expect(resolveCarriageReturns("a\r")).toBe("a");
  });
});
