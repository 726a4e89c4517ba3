"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties } from "react";
import { AgentMarkdown } from "@/components/markdown";
import { splitTaskStubs } from "@/components/markdown/task-stubs";
import { Spinner } from "@/components/ui/spinner";
import type { AnsiSpan } from "./ansi";
import {
  buildRowIndex,
  formatDuration,
  lineAt,
  lineCount,
  LogModel,
  rowAt,
  shellJoin,
  type CommandItem,
  type LogItem,
  type LogLine,
} from "./log-model";
import { ModelRow } from "./model-row";
import { NetworkRow } from "./network-row";
import type { Citation, LogFocus, PlanStepStatus, TaskEventDTO } from "./types";

export type LogViewProps = {
  /** One attempt's events in seq order; the array may grow (or be replaced by a longer one) while live. */
  events: TaskEventDTO[];
  /** Scrolls to and highlights a chunk (and optionally its 1-based lines). Keep it in state: a new object re-scrolls. */
  focus?: LogFocus;
  /** The attempt is still running: unfinished commands show a spinner, the tail is followed. */
  live: boolean;
  className?: string;
  /** The log's accessible name ("Work log" for a task's attempt). */
  label?: string;
  /** What an empty live log says while it waits for its first event. */
  waitingText?: string;
  /** Follows a citation in the agent's final message (rendered as Markdown); without it citations show as text. */
  onCitation?: (c: Citation) => void;
};

const ignoreCitation = () => undefined;

const LINE_HEIGHT = 20;
const MAX_LINE_CHARS = 20_000;
const BOTTOM_SLACK = 48;

/** The terminal session of one attempt: commands, their output, plans, patches and errors, virtualized. */
export function LogView({
  events,
  focus,
  live,
  className = "",
  label = "Work log",
  waitingText = "Waiting for the agent…",
  onCitation = ignoreCitation,
}: LogViewProps) {
  const attemptId = events[0]?.attemptId ?? null;
  // A new model per attempt; within an attempt, each render applies only the events it has not seen.
  const model = useMemo(() => new LogModel(attemptId), [attemptId]);
  const snapshot = useMemo(() => {
    model.ingest(events);
    return { items: model.items.slice(), version: model.version };
  }, [model, events]);
  const items = snapshot.items;

  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [following, setFollowing] = useState(live);
  // Whether the view is scrolled away from the end (a log that fits, or is at its end, offers no Jump to latest).
  const [awayFromBottom, setAwayFromBottom] = useState(false);
  const [seenFocus, setSeenFocus] = useState<LogFocus | undefined>(undefined);
  if (focus !== seenFocus) {
    // A citation was followed: open its block and stop following the tail (adjusting state during render).
    setSeenFocus(focus);
    if (focus) {
      setFollowing(false);
      if (collapsed.has(focus.chunkId)) {
        const next = new Set(collapsed);
        next.delete(focus.chunkId);
        setCollapsed(next);
      }
    }
  }

  const rowIndex = useMemo(() => buildRowIndex(items, collapsed), [items, collapsed]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const followingRef = useRef(following);
  useEffect(() => {
    followingRef.current = following;
  }, [following]);

  const getItemKey = useCallback(
    (row: number) => {
      const at = rowAt(rowIndex, row);
      const item = items[at.item];
      return at.line < 0 ? item.key : `${item.key}:${at.line}`;
    },
    [rowIndex, items],
  );
  const estimateSize = useCallback(
    (row: number) => {
      const at = rowAt(rowIndex, row);
      return at.line >= 0 ? LINE_HEIGHT : estimateItem(items[at.item]);
    },
    [rowIndex, items],
  );

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: rowIndex.total,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    overscan: 24,
    initialRect: { width: 800, height: 600 },
    useFlushSync: false,
  });
  const totalSize = virtualizer.getTotalSize();

  // Follow the tail: after every growth, while following, pin the scroll position to the bottom.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && following) el.scrollTop = el.scrollHeight;
  }, [following, totalSize, rowIndex.total]);

  // Scroll to a focused chunk once it exists (it may arrive after the citation was clicked).
  const handledFocus = useRef<LogFocus | undefined>(undefined);
  const settling = useRef(0);
  useEffect(() => {
    if (!focus || handledFocus.current === focus) return;
    const itemIndex = items.findIndex((i) => i.kind === "command" && i.chunkId === focus.chunkId);
    if (itemIndex < 0) return;
    handledFocus.current = focus;
    const block = items[itemIndex] as CommandItem;
    const start = rowIndex.starts[itemIndex];
    const withLines = Boolean(focus.lines) && !collapsed.has(block.chunkId);
    const first = withLines ? Math.min(Math.max(focus.lines![0], 1), Math.max(lineCount(block), 1)) : 0;
    virtualizer.scrollToIndex(start + first, { align: withLines ? "center" : "start" });
    // Rows above are measured only once rendered, which moves the target after the first scroll: place it again from
    // the DOM until it stays put, so the cited lines end up in the middle of the view (not at its bottom edge).
    const el = scrollRef.current;
    if (!el) return;
    const selector = withLines
      ? `[data-line-of="${cssEscape(block.chunkId)}"][data-line="${first}"]`
      : `[data-chunk-id="${cssEscape(block.chunkId)}"]`;
    let frames = 0;
    let stable = 0;
    const settle = () => {
      const target = el.querySelector<HTMLElement>(selector);
      if (target) {
        // Rendered: from here the page places it (the virtualizer's own correction would pull it back later).
        virtualizer.cancelScroll();
        const box = el.getBoundingClientRect();
        const at = target.getBoundingClientRect();
        const last = focus.lines ? el.querySelector<HTMLElement>(`[data-line-of="${cssEscape(block.chunkId)}"][data-line="${focus.lines[1]}"]`) : null;
        const span = withLines && last ? last.getBoundingClientRect().bottom - at.top : at.height;
        const wanted = withLines ? (el.clientHeight - Math.min(span, el.clientHeight - 40)) / 2 : 8;
        const delta = at.top - box.top - wanted;
        if (Math.abs(delta) > 1) {
          el.scrollTop += delta;
          stable = 0;
        } else stable++;
      }
      if (++frames < 30 && stable < 3) settling.current = requestAnimationFrame(settle);
      else if (target) {
        // The log itself may be off screen (a narrow window stacks it under the conversation): bring it into view.
        const r = target.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) target.scrollIntoView({ block: "center" });
      }
    };
    settling.current = requestAnimationFrame(settle);
  }, [focus, items, rowIndex, collapsed, virtualizer]);
  useEffect(() => () => cancelAnimationFrame(settling.current), []);

  // Only a person scrolling up stops the follow; growth and measurement never do.
  const lastInput = useRef(0);
  const lastTop = useRef(0);
  const markInput = useCallback(() => {
    lastInput.current = Date.now();
    // The person scrolls: no scroll of ours (to a citation) may pull the view back.
    cancelAnimationFrame(settling.current);
    virtualizer.cancelScroll();
  }, [virtualizer]);
  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    setAwayFromBottom(!atBottom);
    const wentUp = el.scrollTop < lastTop.current - 1;
    lastTop.current = el.scrollTop;
    if (atBottom) {
      if (!followingRef.current) setFollowing(true);
    } else if (wentUp && followingRef.current && Date.now() - lastInput.current < 1500) {
      setFollowing(false);
    }
  }, []);
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      if (["ArrowUp", "PageUp", "Home", "ArrowDown", "PageDown", "End", " "].includes(e.key)) markInput();
    },
    [markInput],
  );

  const jumpToLatest = useCallback(() => {
    setFollowing(true);
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  const toggle = useCallback((chunkId: string) => {
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(chunkId)) next.delete(chunkId);
      else next.add(chunkId);
      return next;
    });
  }, []);
  const commandIds = useMemo(() => items.flatMap((i) => (i.kind === "command" ? [i.chunkId] : [])), [items]);
  const commandCount = useMemo(() => items.filter((i) => i.kind === "command" && i.hasStart).length, [items]);
  const allCollapsed = commandIds.length > 0 && commandIds.every((id) => collapsed.has(id));

  const focusRange = focus?.lines ? ([Math.min(...focus.lines), Math.max(...focus.lines)] as const) : null;
  const virtualRows = virtualizer.getVirtualItems();

  return (
    <div className={`relative flex h-full min-h-[320px] flex-col overflow-hidden rounded-xl border border-border bg-surface ${className}`}>
      <div className="flex items-center justify-between gap-2 border-b border-border px-3 py-1.5 text-xs text-muted">
        <span>
          {`${commandCount} ${commandCount === 1 ? "command" : "commands"}`}
          {live && (
            <span className="ml-2 inline-flex items-center gap-1">
              <Spinner label="Running" size={11} /> running
            </span>
          )}
        </span>
        <span className="flex items-center gap-1">
        {!following && awayFromBottom && items.length > 0 && (
          // In the toolbar, not over the log: it never hides a command's exit badge or the last lines.
          <button
            type="button"
            onClick={jumpToLatest}
            className="inline-flex items-center gap-1 rounded-md px-2 py-0.5 font-medium text-fg hover:bg-surface-2"
          >
            <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden fill="none" stroke="currentColor" strokeWidth="1.8">
              <path d="M8 3v10M3.5 8.5 8 13l4.5-4.5" strokeLinecap="round" strokeLinejoin="round" />
            </svg>
            Jump to latest
          </button>
        )}
        {commandIds.length > 0 && (
          <button
            type="button"
            className="rounded-md px-2 py-0.5 hover:bg-surface-2 hover:text-fg"
            onClick={() => setCollapsed(allCollapsed ? new Set() : new Set(commandIds))}
          >
            {allCollapsed ? "Expand all" : "Collapse all"}
          </button>
        )}
        </span>
      </div>
      <div
        ref={scrollRef}
        role="log"
        aria-live="off"
        aria-label={label}
        tabIndex={0}
        onScroll={onScroll}
        onWheel={markInput}
        onTouchMove={markInput}
        onPointerDown={markInput}
        onKeyDown={onKeyDown}
        className="min-h-0 flex-1 overflow-y-auto overflow-x-hidden overscroll-contain font-mono text-[12.5px] leading-5 focus-visible:outline-offset-[-2px]"
      >
        {items.length === 0 ? (
          <div className="flex h-full items-center justify-center gap-2 p-6 font-sans text-sm text-muted">
            {live ? (
              <>
                <Spinner label="Waiting" /> {waitingText}
              </>
            ) : (
              "No log output."
            )}
          </div>
        ) : (
          <div className="relative w-full" style={{ height: totalSize }}>
            {virtualRows.map((v) => {
              const at = rowAt(rowIndex, v.index);
              const item = items[at.item];
              const style: CSSProperties = { transform: `translateY(${v.start}px)` };
              if (at.line >= 0 && item.kind === "command") {
                const n = at.line + 1;
                const isLast = at.line === lineCount(item) - 1;
                const highlighted =
                  focus?.chunkId === item.chunkId && focusRange !== null && n >= focusRange[0] && n <= focusRange[1];
                return (
                  <div
                    key={v.key}
                    ref={virtualizer.measureElement}
                    data-index={v.index}
                    className={`absolute left-0 top-0 w-full px-3 ${isLast ? "pb-2" : ""}`}
                    style={style}
                  >
                    <LogLineRow
                      line={lineAt(item, at.line)}
                      chunkId={item.chunkId}
                      number={n}
                      highlighted={highlighted}
                      last={isLast}
                      gutter={String(lineCount(item)).length}
                    />
                  </div>
                );
              }
              return (
                <div
                  key={v.key}
                  ref={virtualizer.measureElement}
                  data-index={v.index}
                  className="absolute left-0 top-0 w-full px-3 pt-2"
                  style={style}
                >
                  <ItemRow
                    item={item}
                    live={live}
                    collapsed={item.kind === "command" && collapsed.has(item.chunkId)}
                    focused={item.kind === "command" && focus?.chunkId === item.chunkId}
                    onToggle={toggle}
                    onCitation={onCitation}
                  />
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}

function estimateItem(item: LogItem): number {
  switch (item.kind) {
    case "command":
      return 40;
    case "plan":
      return 40 + item.steps.length * 22 + (item.explanation ? 20 : 0);
    case "patch":
      return 16 + (item.changed.length + item.failures.length) * 20;
    case "message":
      return 36 + Math.ceil(item.text.length / 90) * 20;
    case "error":
      return 56;
    default:
      return 30;
  }
}

const LogLineRow = memo(function LogLineRow({
  line,
  chunkId,
  number,
  highlighted,
  last,
  gutter,
}: {
  line: LogLine;
  chunkId: string;
  number: number;
  highlighted: boolean;
  last: boolean;
  /** Digits of the block's last line number, so the gutter fits 100000. */
  gutter: number;
}) {
  return (
    <div
      data-testid="log-line"
      data-line-of={chunkId}
      data-line={number}
      data-stream={line.stream}
      data-highlighted={highlighted || undefined}
      className={`flex border-x border-border ${last ? "rounded-b-lg border-b pb-1" : ""} ${
        highlighted ? "bg-[color-mix(in_srgb,var(--warning)_16%,var(--surface-2))]" : "bg-surface-2"
      }`}
    >
      <span
        aria-hidden
        style={{ width: `calc(${Math.max(gutter, 3)}ch + 1.25rem)` }}
        className="shrink-0 select-none pr-3 text-right text-muted"
      >
        {number}
      </span>
      <span
        className={`min-w-0 flex-1 whitespace-pre-wrap pr-3 [overflow-wrap:anywhere] ${
          line.stream === "system" ? "italic text-muted" : line.stream === "stdin" ? "font-semibold" : ""
        }`}
      >
        {line.spans ? <Spans spans={line.spans} /> : clip(line.text)}
        {line.text === "" && "\u200b"}
      </span>
    </div>
  );
});

function clip(text: string): string {
  return text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)} … (${text.length - MAX_LINE_CHARS} more characters)` : text;
}

function Spans({ spans }: { spans: AnsiSpan[] }) {
  let budget = MAX_LINE_CHARS;
  const out: React.ReactNode[] = [];
  for (let i = 0; i < spans.length && budget > 0; i++) {
    const s = spans[i];
    const text = s.text.length > budget ? `${s.text.slice(0, budget)} …` : s.text;
    budget -= s.text.length;
    const style: CSSProperties = {};
    if (s.fg) style.color = s.fg;
    if (s.bg) style.backgroundColor = s.bg;
    if (s.bold) style.fontWeight = 600;
    if (s.dim) style.opacity = 0.7;
    if (s.italic) style.fontStyle = "italic";
    if (s.underline || s.strike) style.textDecoration = [s.underline && "underline", s.strike && "line-through"].filter(Boolean).join(" ");
    out.push(
      <span key={i} style={style}>
        {text}
      </span>,
    );
  }
  return <>{out}</>;
}

function ItemRow({
  item,
  live,
  collapsed,
  focused,
  onToggle,
  onCitation,
}: {
  item: LogItem;
  live: boolean;
  collapsed: boolean;
  focused: boolean;
  onToggle: (chunkId: string) => void;
  onCitation: (c: Citation) => void;
}) {
  switch (item.kind) {
    case "command":
      return <CommandHeader block={item} live={live} collapsed={collapsed} focused={focused} onToggle={onToggle} />;
    case "turn":
      return (
        <div className="flex items-center gap-3 py-1 font-sans text-xs text-muted" role="separator">
          <span className="h-px flex-1 bg-border" /> Follow-up · turn {item.turn} <span className="h-px flex-1 bg-border" />
        </div>
      );
    case "message":
      return (
        <div className="font-sans text-sm">
          <div className="mb-0.5 text-xs font-medium text-muted">{item.final ? "Agent · final message" : "Agent"}</div>
          {item.final ? (
            <FinalMessage text={item.text} onCitation={onCitation} />
          ) : (
            <p className="whitespace-pre-wrap [overflow-wrap:anywhere]">
              {item.text}
              {live && <span className="ml-0.5 inline-block h-3.5 w-1.5 animate-pulse bg-muted align-middle" aria-hidden />}
            </p>
          )}
        </div>
      );
    case "plan":
      return (
        <div className="rounded-lg border border-border px-3 py-2 font-sans text-sm" aria-label="Plan">
          <div className="text-xs font-medium text-muted">Plan</div>
          {item.explanation && <p className="mt-0.5 text-muted">{item.explanation}</p>}
          <ul className="mt-1 space-y-0.5">
            {item.steps.map((s, i) => (
              <li key={i} className="flex items-start gap-2">
                <PlanIcon status={s.status} />
                <span className={s.status === "completed" ? "text-muted line-through decoration-muted/50" : s.status === "in_progress" ? "font-medium" : ""}>
                  {s.step}
                </span>
                <span className="sr-only">({s.status.replace("_", " ")})</span>
              </li>
            ))}
          </ul>
        </div>
      );
    case "patch":
      return (
        <div className="space-y-0.5 font-sans text-sm">
          {item.changed.map((c, i) => (
            <div key={i} className="flex items-center gap-2">
              <PencilIcon />
              <span className="text-muted">{changeVerb(c.kind)}</span>
              <span className="font-mono text-[12.5px] [overflow-wrap:anywhere]">{c.from ? `${c.from} → ${c.path}` : c.path}</span>
            </div>
          ))}
          {item.failures.map((f, i) => (
            <div key={`f${i}`} className="text-danger">
              Patch failed for <span className="font-mono text-[12.5px]">{f.path}</span>: {f.message}
            </div>
          ))}
        </div>
      );
    case "error":
      if (item.code === "cancelled") {
        return <div className="font-sans text-sm text-muted">Stopped{item.message && item.message !== "Stopped." ? `: ${item.message}` : "."}</div>;
      }
      return (
        <div role="alert" className="rounded-lg border border-danger/40 bg-danger-bg px-3 py-2 font-sans text-sm text-danger">
          <span className="font-semibold">Error: {item.code}</span>
          {item.message && <span className="[overflow-wrap:anywhere]">: {item.message}</span>}
        </div>
      );
    case "status":
      return (
        <div className="font-sans text-xs text-muted">
          Status: <span className={statusColour(item.status)}>{STATUS_WORDS[item.status] ?? item.status.replace(/_/g, " ")}</span>
        </div>
      );
    case "diff":
      return (
        <div className="font-sans text-xs text-muted">
          Diff: {item.files} {item.files === 1 ? "file" : "files"} changed <span className="text-add">+{item.additions}</span>{" "}
          <span className="text-del">−{item.deletions}</span>
          {item.truncated && " (truncated)"}
        </div>
      );
    case "network":
      return <NetworkRow item={item} />;
    case "model":
      return <ModelRow item={item} />;
    case "reasoning":
      return (
        <details className="font-sans text-sm text-muted" open={!item.final && live}>
          <summary className="cursor-pointer select-none text-xs font-medium">{item.final ? "Thought" : "Thinking…"}</summary>
          <p className="mt-0.5 whitespace-pre-wrap [overflow-wrap:anywhere]">{item.text}</p>
        </details>
      );
    case "steer":
      return (
        <div className="ml-auto max-w-[85%] rounded-lg border border-border bg-surface-2 px-3 py-2 font-sans text-sm">
          <div className="mb-0.5 text-xs font-medium text-muted">You, while it worked</div>
          <p className="whitespace-pre-wrap [overflow-wrap:anywhere]">{item.text}</p>
        </div>
      );
    case "retry":
      return (
        <div className="font-sans text-xs text-warning" role="note">
          The model did not answer ({item.message || item.code}); retrying in {(item.delayMs / 1000).toFixed(item.delayMs < 10_000 ? 1 : 0)} s (
          {item.attempt}/{item.maxRetries})
        </div>
      );
    case "compaction":
      return (
        <div className="font-sans text-xs text-muted">
          Context compacted: {item.droppedOutputs} old tool {item.droppedOutputs === 1 ? "output" : "outputs"} dropped
          {item.summarized ? ", the conversation summarized" : ""} (~{item.tokensBefore.toLocaleString("en")} → ~{item.tokensAfter.toLocaleString("en")}{" "}
          tokens)
        </div>
      );
  }
}

/** The agent's final message as Markdown; the tasks an Ask answer proposes as cards (Start task is in the conversation). */
function FinalMessage({ text, onCitation }: { text: string; onCitation: (c: Citation) => void }) {
  const parts = useMemo(() => splitTaskStubs(text), [text]);
  return (
    <div className="flex flex-col gap-2">
      {parts.map((p, i) =>
        p.kind === "markdown" ? (
          <AgentMarkdown key={i} text={p.text} onCitation={onCitation} />
        ) : (
          <div key={i} className="rounded-lg border border-border px-3 py-2" data-testid="log-task-stub">
            <div className="text-xs font-medium text-muted">Proposed task</div>
            <div className="font-semibold">{p.stub.title}</div>
            {p.stub.body && <AgentMarkdown text={p.stub.body} onCitation={onCitation} className="text-muted" />}
          </div>
        ),
      )}
    </div>
  );
}

function CommandHeader({
  block,
  live,
  collapsed,
  focused,
  onToggle,
}: {
  block: CommandItem;
  live: boolean;
  collapsed: boolean;
  focused: boolean;
  onToggle: (chunkId: string) => void;
}) {
  const lines = lineCount(block);
  const hasBody = !collapsed && lines > 0;
  const title = block.hasStart
    ? `$ ${shellJoin(block.argv ?? [])}`
    : block.chunkId === "setup"
      ? "Workspace setup"
      : block.chunkId.startsWith("engine-")
        ? "Engine"
        : `Output (${block.chunkId})`;
  return (
    <div
      id={`log-chunk-${block.chunkId}`}
      data-chunk-id={block.chunkId}
      data-focused={focused || undefined}
      className={`border border-border bg-surface ${hasBody ? "rounded-t-lg border-b-0" : "rounded-lg"} ${
        focused ? "ring-2 ring-ring/50" : ""
      }`}
    >
      <button
        type="button"
        aria-expanded={!collapsed}
        title={block.cwd ? `in ${block.cwd}` : undefined}
        onClick={() => onToggle(block.chunkId)}
        className="flex w-full items-start gap-2 rounded-[inherit] px-2.5 py-1.5 text-left hover:bg-surface-2 focus-visible:outline-offset-[-2px]"
      >
        <svg
          width="12"
          height="12"
          viewBox="0 0 16 16"
          aria-hidden
          className={`mt-1 shrink-0 text-muted transition-transform ${collapsed ? "" : "rotate-90"}`}
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
        >
          <path d="M6 3.5 10.5 8 6 12.5" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <span className={`min-w-0 flex-1 break-all ${block.hasStart ? "text-fg" : "font-sans text-muted"}`}>{title}</span>
        <span className="flex shrink-0 items-center gap-2 font-sans text-xs text-muted">
          {block.timedOut && <span className="text-warning">timed out</span>}
          {block.truncated && <span className="text-warning">output truncated</span>}
          {collapsed && lines > 0 && <span>{lines} lines</span>}
          {block.durationMs !== undefined && <span>{formatDuration(block.durationMs)}</span>}
          {block.hasStart && <ExitBadge block={block} live={live} />}
        </span>
      </button>
    </div>
  );
}

function ExitBadge({ block, live }: { block: CommandItem; live: boolean }) {
  if (!block.ended) {
    return live ? (
      <Spinner label="Command running" size={12} />
    ) : (
      <span className="rounded-full bg-surface-2 px-1.5 py-px">did not finish</span>
    );
  }
  if (block.exitCode === null) {
    return <span className="rounded-full bg-danger-bg px-1.5 py-px font-medium text-danger">{block.timedOut ? "killed" : "no exit code"}</span>;
  }
  const ok = block.exitCode === 0;
  return (
    <span
      aria-label={`exit code ${block.exitCode}`}
      className={`rounded-full px-1.5 py-px font-mono font-medium ${
        ok ? "bg-[color-mix(in_srgb,var(--success)_14%,transparent)] text-success" : "bg-danger-bg text-danger"
      }`}
    >
      {`exit ${block.exitCode}`}
    </span>
  );
}

function PlanIcon({ status }: { status: PlanStepStatus }) {
  if (status === "completed")
    return (
      <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden className="mt-0.5 shrink-0 text-success" fill="none" stroke="currentColor" strokeWidth="2">
        <path d="M3.5 8.5 6.5 11.5 12.5 4.5" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    );
  if (status === "in_progress")
    return (
      <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden className="mt-0.5 shrink-0 text-ring">
        <circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
        <path d="M8 2.5a5.5 5.5 0 0 1 0 11z" fill="currentColor" />
      </svg>
    );
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden className="mt-0.5 shrink-0 text-muted">
      <circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

function PencilIcon() {
  return (
    <svg width="13" height="13" viewBox="0 0 16 16" aria-hidden className="shrink-0 text-muted" fill="none" stroke="currentColor" strokeWidth="1.6">
      <path d="M10.5 2.5l3 3L6 13H3v-3z" strokeLinejoin="round" />
    </svg>
  );
}

function changeVerb(kind: string): string {
  switch (kind) {
    case "add":
    case "added":
    case "create":
      return "Created";
    case "delete":
    case "deleted":
      return "Deleted";
    case "move":
    case "rename":
    case "renamed":
      return "Renamed";
    default:
      return "Edited";
  }
}

// One vocabulary with the status badges: a cancelled attempt is "Stopped" everywhere on the page.
const STATUS_WORDS: Record<string, string> = {
  queued: "queued",
  preparing: "preparing",
  setup: "setting up",
  running: "working",
  finalizing: "finishing",
  succeeded: "ready",
  failed: "failed",
  cancelled: "stopped",
  timed_out: "timed out",
};

function statusColour(status: string): string {
  if (status === "succeeded" || status === "ready") return "text-success";
  if (status === "failed" || status === "error") return "text-danger";
  if (status === "cancelled") return "text-warning";
  return "text-fg";
}

function cssEscape(s: string): string {
  return typeof CSS !== "undefined" && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
}
