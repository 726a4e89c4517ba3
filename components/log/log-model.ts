import { AnsiLineParser, resolveCarriageReturns, type AnsiSpan } from "./ansi";
import type { PatchChange, PatchFailure, PlanStep, TaskEventDTO } from "./types";

export type LogStream = "stdout" | "stderr" | "system" | "stdin";

/** One finished output line. `spans` is null for plain text (the common case: no parsing, no allocation). */
export type LogLine = { text: string; spans: AnsiSpan[] | null; stream: LogStream };

export type CommandItem = {
  kind: "command";
  key: string;
  turn: number;
  chunkId: string;
  /** False for output that belongs to no command (the workspace setup, system notes). */
  hasStart: boolean;
  commandId?: string;
  argv?: string[];
  cwd?: string;
  ended: boolean;
  exitCode: number | null;
  durationMs?: number;
  timedOut: boolean;
  truncated: boolean;
  lines: LogLine[];
  /** The last line while it has no newline yet. */
  partial: string;
  partialStream: LogStream;
  parser: AnsiLineParser;
};

export type LogItem =
  | CommandItem
  | { kind: "turn"; key: string; turn: number }
  | { kind: "message"; key: string; turn: number; text: string; final: boolean }
  /** A message the person sent while the agent worked, where it reached the agent. */
  | { kind: "steer"; key: string; turn: number; text: string }
  /** The model's reasoning summary before an action ("thinking"). */
  | { kind: "reasoning"; key: string; turn: number; text: string; final: boolean }
  | { kind: "retry"; key: string; turn: number; attempt: number; maxRetries: number; delayMs: number; code: string; message: string }
  | { kind: "compaction"; key: string; turn: number; droppedOutputs: number; summarized: boolean; tokensBefore: number; tokensAfter: number }
  | { kind: "plan"; key: string; turn: number; explanation: string | null; steps: PlanStep[] }
  | { kind: "patch"; key: string; turn: number; changed: PatchChange[]; failures: PatchFailure[] }
  | { kind: "error"; key: string; turn: number; code: string; message: string }
  | { kind: "status"; key: string; turn: number; status: string }
  | { kind: "diff"; key: string; turn: number; files: number; additions: number; deletions: number; truncated: boolean }
  | NetworkItem
  | ModelItem;

/** A model call an engine made through Patchbay's model gateway (or one it refused), or the phase's summary. */
export type ModelItem = {
  kind: "model";
  key: string;
  turn: number;
  verdict: "call" | "refused" | "failed" | "summary";
  method: string;
  path: string;
  model: string | null;
  status?: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  durationMs?: number;
  calls?: number;
  refused?: number;
  message: string;
};

/** What the egress proxy decided (a refusal, the first request to a host) or moved in a phase (a summary). */
export type NetworkItem = {
  kind: "network";
  key: string;
  turn: number;
  phase: string;
  verdict: "refused" | "allowed" | "summary";
  host: string;
  port?: number;
  method: string | null;
  message: string;
  requests?: number;
  refused?: number;
  hosts?: { host: string; requests: number; bytes: number }[];
};

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * The terminal session of one attempt, built incrementally from its events: each event is applied once (keyed by
 * seq), and new output only splits its own text, so appending stays O(new text) however long the log is.
 */
export class LogModel {
  readonly items: LogItem[] = [];
  /** Bumped on every change; React re-renders on it. */
  version = 0;
  lastSeq = -Infinity;
  private consumed = 0;
  private chunks = new Map<string, CommandItem>();
  private lastTurn = 0;

  constructor(readonly attemptId: string | null = null) {}

  /** Applies the events not seen yet. `events` is one attempt's events in seq order (it may grow between calls). */
  ingest(events: readonly TaskEventDTO[]): boolean {
    const before = this.version;
    // Fast path: the same array grew at the end.
    let start = 0;
    if (this.consumed > 0 && this.consumed <= events.length && events[this.consumed - 1]?.seq === this.lastSeq) {
      start = this.consumed;
    }
    for (let i = start; i < events.length; i++) this.apply(events[i]);
    this.consumed = events.length;
    return this.version !== before;
  }

  apply(e: TaskEventDTO): void {
    if (e.seq <= this.lastSeq) return;
    this.lastSeq = e.seq;
    const p = e.payload ?? {};
    if (e.type === "usage") return;
    if (e.turn > this.lastTurn) {
      if (this.lastTurn > 0) this.items.push({ kind: "turn", key: `turn-${e.turn}`, turn: e.turn });
      this.lastTurn = e.turn;
    }
    const key = `e${e.seq}`;
    switch (e.type) {
      case "command": {
        const block = this.chunk(str(p.chunkId, str(p.commandId, key)), e.turn, key);
        if (p.phase === "end") {
          block.ended = true;
          block.exitCode = num(p.exitCode) ?? null;
          block.durationMs = num(p.durationMs);
          block.timedOut = p.timedOut === true;
          block.truncated = p.truncated === true;
          this.flushPartial(block);
        } else {
          block.hasStart = true;
          block.commandId = str(p.commandId) || undefined;
          block.argv = Array.isArray(p.argv) ? p.argv.map((a) => String(a)) : [];
          block.cwd = str(p.cwd) || undefined;
        }
        break;
      }
      case "log": {
        const stream: LogStream = p.stream === "stderr" || p.stream === "system" || p.stream === "stdin" ? p.stream : "stdout";
        const block = this.chunk(str(p.chunkId, "output"), e.turn, key);
        this.appendText(block, str(p.text), stream);
        break;
      }
      case "message_delta": {
        const last = this.items[this.items.length - 1];
        if (last?.kind === "message" && !last.final && last.turn === e.turn) last.text += str(p.text);
        else this.items.push({ kind: "message", key, turn: e.turn, text: str(p.text), final: false });
        break;
      }
      case "message": {
        const last = this.items[this.items.length - 1];
        if (last?.kind === "message" && !last.final && last.turn === e.turn) {
          last.text = str(p.text);
          last.final = true;
        } else this.items.push({ kind: "message", key, turn: e.turn, text: str(p.text), final: true });
        break;
      }
      case "reasoning_delta": {
        const last = this.items[this.items.length - 1];
        if (last?.kind === "reasoning" && !last.final && last.turn === e.turn) last.text += str(p.text);
        else this.items.push({ kind: "reasoning", key, turn: e.turn, text: str(p.text), final: false });
        break;
      }
      case "reasoning": {
        const last = this.items[this.items.length - 1];
        if (last?.kind === "reasoning" && !last.final && last.turn === e.turn) {
          last.text = str(p.text);
          last.final = true;
        } else this.items.push({ kind: "reasoning", key, turn: e.turn, text: str(p.text), final: true });
        break;
      }
      case "steer":
        this.items.push({ kind: "steer", key, turn: e.turn, text: str(p.text) });
        break;
      case "retry":
        this.items.push({
          kind: "retry",
          key,
          turn: e.turn,
          attempt: num(p.attempt) ?? 1,
          maxRetries: num(p.maxRetries) ?? 1,
          delayMs: num(p.delayMs) ?? 0,
          code: str(p.code),
          message: str(p.message),
        });
        break;
      case "compaction":
        this.items.push({
          kind: "compaction",
          key,
          turn: e.turn,
          droppedOutputs: num(p.droppedOutputs) ?? 0,
          summarized: p.summarized === true,
          tokensBefore: num(p.tokensBefore) ?? 0,
          tokensAfter: num(p.tokensAfter) ?? 0,
        });
        break;
      case "plan": {
        const steps = Array.isArray(p.plan)
          ? p.plan
              .filter((s): s is Record<string, unknown> => typeof s === "object" && s !== null)
              .map((s) => ({
                step: str(s.step),
                status: (s.status === "completed" || s.status === "in_progress" ? s.status : "pending") as PlanStep["status"],
              }))
          : [];
        this.items.push({ kind: "plan", key, turn: e.turn, explanation: str(p.explanation) || null, steps });
        break;
      }
      case "patch": {
        const changed = Array.isArray(p.changed) ? (p.changed as PatchChange[]).filter((c) => c && typeof c.path === "string") : [];
        const failures = Array.isArray(p.failures) ? (p.failures as PatchFailure[]).filter((f) => f && typeof f.path === "string") : [];
        this.items.push({ kind: "patch", key, turn: e.turn, changed, failures });
        break;
      }
      case "error":
        this.items.push({ kind: "error", key, turn: e.turn, code: str(p.code, "error"), message: str(p.message) });
        break;
      case "status":
        this.items.push({ kind: "status", key, turn: e.turn, status: str(p.status, "unknown") });
        break;
      case "diff": {
        const stats = (typeof p.stats === "object" && p.stats !== null ? p.stats : {}) as Record<string, unknown>;
        this.items.push({
          kind: "diff",
          key,
          turn: e.turn,
          files: num(stats.files) ?? 0,
          additions: num(stats.additions) ?? 0,
          deletions: num(stats.deletions) ?? 0,
          truncated: p.truncated === true,
        });
        break;
      }
      case "network": {
        const verdict = p.kind === "refused" || p.kind === "allowed" ? p.kind : "summary";
        const hosts =
          verdict === "summary" && typeof p.hosts === "object" && p.hosts !== null
            ? Object.entries(p.hosts as Record<string, Record<string, unknown>>).map(([host, h]) => ({
                host,
                requests: num(h?.requests) ?? 0,
                bytes: (num(h?.bytesIn) ?? 0) + (num(h?.bytesOut) ?? 0),
              }))
            : undefined;
        this.items.push({
          kind: "network",
          key,
          turn: e.turn,
          phase: str(p.phase),
          verdict,
          host: str(p.host),
          port: num(p.port),
          method: typeof p.method === "string" ? p.method : null,
          message: str(p.message),
          requests: num(p.requests),
          refused: num(p.refused),
          hosts,
        });
        break;
      }
      case "model": {
        const verdict = p.kind === "refused" || p.kind === "failed" || p.kind === "summary" ? p.kind : "call";
        this.items.push({
          kind: "model",
          key,
          turn: e.turn,
          verdict,
          method: str(p.method, "POST"),
          path: str(p.path),
          model: typeof p.model === "string" ? p.model : null,
          status: num(p.status),
          inputTokens: num(p.inputTokens) ?? 0,
          outputTokens: num(p.outputTokens) ?? 0,
          cachedInputTokens: num(p.cachedInputTokens) ?? 0,
          durationMs: num(p.durationMs),
          calls: num(p.calls),
          refused: num(p.refused),
          message: str(p.message),
        });
        break;
      }
      default:
        return;
    }
    this.version++;
  }

  /** The command block of a chunk, created on first sight (output may belong to no command). */
  private chunk(chunkId: string, turn: number, key: string): CommandItem {
    let block = this.chunks.get(chunkId);
    if (!block) {
      block = {
        kind: "command",
        key: `chunk-${chunkId}-${key}`,
        turn,
        chunkId,
        hasStart: false,
        ended: false,
        exitCode: null,
        timedOut: false,
        truncated: false,
        lines: [],
        partial: "",
        partialStream: "stdout",
        parser: new AnsiLineParser(),
      };
      this.chunks.set(chunkId, block);
      this.items.push(block);
    }
    return block;
  }

  private appendText(block: CommandItem, text: string, stream: LogStream): void {
    if (!text) return;
    if (block.partial === "") block.partialStream = stream;
    const nl = text.indexOf("\n");
    if (nl === -1) {
      block.partial += text;
      return;
    }
    this.pushLine(block, block.partial + text.slice(0, nl), block.partialStream);
    let from = nl + 1;
    for (let next = text.indexOf("\n", from); next !== -1; next = text.indexOf("\n", from)) {
      this.pushLine(block, text.slice(from, next), stream);
      from = next + 1;
    }
    block.partial = text.slice(from);
    block.partialStream = stream;
  }

  private flushPartial(block: CommandItem): void {
    if (block.partial === "") return;
    this.pushLine(block, block.partial, block.partialStream);
    block.partial = "";
  }

  private pushLine(block: CommandItem, raw: string, stream: LogStream): void {
    const line = resolveCarriageReturns(raw);
    if (!line.includes("\x1b") && block.parser.isPlain()) {
      block.lines.push({ text: line, spans: null, stream });
      return;
    }
    const spans = block.parser.parse(line);
    block.lines.push({ text: spans.map((s) => s.text).join(""), spans, stream });
  }

  findChunk(chunkId: string): CommandItem | undefined {
    return this.chunks.get(chunkId);
  }
}

/** Lines shown for a block, counting the unfinished last line. */
export function lineCount(block: CommandItem): number {
  return block.lines.length + (block.partial ? 1 : 0);
}

/** The line at a 0-based index, including the unfinished last one (parsed without advancing the ANSI state). */
export function lineAt(block: CommandItem, index: number): LogLine {
  if (index < block.lines.length) return block.lines[index];
  const raw = resolveCarriageReturns(block.partial);
  if (!raw.includes("\x1b") && block.parser.isPlain()) return { text: raw, spans: null, stream: block.partialStream };
  const spans = block.parser.peek(raw);
  return { text: spans.map((s) => s.text).join(""), spans, stream: block.partialStream };
}

/** Row layout of the flattened log: each item is one row, plus one per output line of an expanded command. */
export type RowIndex = { starts: number[]; total: number };

export function buildRowIndex(items: readonly LogItem[], collapsed: ReadonlySet<string>): RowIndex {
  const starts = new Array<number>(items.length);
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    starts[i] = total;
    const item = items[i];
    total += 1 + (item.kind === "command" && !collapsed.has(item.chunkId) ? lineCount(item) : 0);
  }
  return { starts, total };
}

/** The item and line (-1 for the item's own row) at a flattened row index. */
export function rowAt(index: RowIndex, row: number): { item: number; line: number } {
  const { starts } = index;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= row) lo = mid;
    else hi = mid - 1;
  }
  return { item: lo, line: row - starts[lo] - 1 };
}

/** Shell-style rendering of an argv, as a person would type it. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => (a !== "" && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m ${String(s).padStart(2, "0")}s`;
}
