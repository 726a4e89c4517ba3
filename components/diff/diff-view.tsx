"use client";

import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { DiffFocus } from "@/components/log/types";
import { diffTotals, findDiffFile, parseUnifiedDiff, toSplitRows, type DiffFile, type DiffHunk, type DiffLine } from "./parse-diff";

export type DiffViewMode = "unified" | "split";

export type DiffViewProps = {
  /** `git diff --binary` output; may be large. */
  diff: string;
  view: DiffViewMode;
  /** Without it, the view toggle still works (the component keeps its own choice). */
  onViewChange?: (view: DiffViewMode) => void;
  /** Scrolls to a file and highlights its new-side lines. Keep it in state: a new object re-scrolls. */
  focus?: DiffFocus;
  className?: string;
};

/** Files longer than this start collapsed behind "Load diff". */
export const LARGE_FILE_ROWS = 400;
const ROW_PX = 20;
/** Rows rendered per block; blocks off screen skip layout and paint (content-visibility). */
const BLOCK_ROWS = 200;

export function DiffView({ diff, view, onViewChange, focus, className = "" }: DiffViewProps) {
  const files = useMemo(() => parseUnifiedDiff(diff), [diff]);
  const totals = useMemo(() => diffTotals(files), [files]);
  const [ownView, setOwnView] = useState(view);
  const [seenView, setSeenView] = useState(view);
  if (view !== seenView) {
    setSeenView(view);
    setOwnView(view);
  }
  const mode = onViewChange ? view : ownView;
  const setMode = (v: DiffViewMode) => {
    setOwnView(v);
    onViewChange?.(v);
  };

  const focusedFile = useMemo(() => (focus ? findDiffFile(files, focus.path) : undefined), [files, focus]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [openAll, setOpenAll] = useState<{ open: boolean; token: number } | null>(null);

  if (files.length === 0) {
    return (
      <div className={`rounded-xl border border-dashed border-border p-6 text-center text-sm text-muted ${className}`}>
        {diff.trim() ? "This diff could not be read." : "No changes."}
      </div>
    );
  }

  const jumpTo = (path: string) => {
    const el = scrollRef.current?.querySelector<HTMLElement>(`[data-diff-file="${cssEscape(path)}"]`);
    el?.scrollIntoView({ block: "start" });
    el?.querySelector<HTMLButtonElement>("button[aria-expanded]")?.focus({ preventScroll: true });
  };

  return (
    <div className={`flex h-full min-h-0 flex-col text-sm ${className}`}>
      <div className="flex flex-wrap items-center justify-between gap-2 pb-2">
        <p className="text-xs text-muted">
          {`${totals.files} ${totals.files === 1 ? "file" : "files"} changed · `}
          <span className="font-medium text-add">{`+${totals.additions}`}</span>{" "}
          <span className="font-medium text-del">{`−${totals.deletions}`}</span>
        </p>
        <div className="flex items-center gap-2">
          <button
            type="button"
            className="rounded-md px-2 py-1 text-xs text-muted hover:bg-surface-2 hover:text-fg"
            onClick={() => setOpenAll((prev) => ({ open: !(prev?.open ?? true), token: (prev?.token ?? 0) + 1 }))}
          >
            {openAll?.open ?? true ? "Collapse all" : "Expand all"}
          </button>
          <div role="group" aria-label="Diff layout" className="inline-flex rounded-lg border border-border p-0.5">
            {(["unified", "split"] as const).map((v) => (
              <button
                key={v}
                type="button"
                aria-pressed={mode === v}
                onClick={() => setMode(v)}
                className={`rounded-md px-2.5 py-0.5 text-xs font-medium ${mode === v ? "bg-surface-2 text-fg" : "text-muted hover:text-fg"}`}
              >
                {v === "unified" ? "Unified" : "Split"}
              </button>
            ))}
          </div>
        </div>
      </div>
      <div ref={scrollRef} className="min-h-0 flex-1 overflow-y-auto overscroll-contain">
        <nav aria-label="Changed files" className="mb-3 rounded-xl border border-border bg-surface">
          <ul className="max-h-56 overflow-y-auto py-1">
            {files.map((f, i) => (
              <li key={`${f.path}:${i}`}>
                <button
                  type="button"
                  onClick={() => jumpTo(f.path)}
                  className="flex w-full items-center gap-2 px-3 py-1 text-left hover:bg-surface-2 focus-visible:outline-offset-[-2px]"
                >
                  <StatusMark status={f.status} />
                  <span className="min-w-0 flex-1 truncate font-mono text-xs" title={fileTitle(f)}>
                    {fileTitle(f)}
                  </span>
                  <Counts file={f} />
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <div className="space-y-3">
          {files.map((f, i) => (
            <FileSection
              key={`${f.path}:${i}`}
              file={f}
              mode={mode}
              rootRef={scrollRef}
              focus={focusedFile === f ? focus : undefined}
              openAll={openAll}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

function fileTitle(f: DiffFile): string {
  return f.oldPath && f.newPath && f.oldPath !== f.newPath ? `${f.oldPath} → ${f.newPath}` : f.path;
}

function cssEscape(s: string): string {
  return typeof CSS !== "undefined" && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
}

function Counts({ file }: { file: DiffFile }) {
  if (file.binary) return <span className="shrink-0 text-xs text-muted">binary</span>;
  if (file.hunks.length === 0) return null;
  return (
    <span className="shrink-0 font-mono text-xs tabular-nums">
      <span className="text-add">{`+${file.additions}`}</span> <span className="text-del">{`−${file.deletions}`}</span>
    </span>
  );
}

const STATUS_LABEL: Record<DiffFile["status"], string> = {
  added: "new",
  deleted: "deleted",
  renamed: "renamed",
  copied: "copied",
  modified: "modified",
};

function StatusMark({ status }: { status: DiffFile["status"] }) {
  const letter = { added: "A", deleted: "D", renamed: "R", copied: "C", modified: "M" }[status];
  const colour = status === "added" ? "text-add" : status === "deleted" ? "text-del" : status === "modified" ? "text-muted" : "text-warning";
  return (
    <span aria-label={STATUS_LABEL[status]} title={STATUS_LABEL[status]} className={`w-3 shrink-0 text-center font-mono text-xs font-semibold ${colour}`}>
      {letter}
    </span>
  );
}

/** One file: sticky header, then its hunks, rendered only once it is expanded and near the screen. */
function FileSection({
  file,
  mode,
  rootRef,
  focus,
  openAll,
}: {
  file: DiffFile;
  mode: DiffViewMode;
  rootRef: React.RefObject<HTMLDivElement | null>;
  focus?: DiffFocus;
  openAll: { open: boolean; token: number } | null;
}) {
  const large = file.rowCount > LARGE_FILE_ROWS;
  const [open, setOpen] = useState(!large);
  const [near, setNear] = useState(false);
  const [seen, setSeen] = useState<{ focus?: DiffFocus; openAll: typeof openAll }>({ focus: undefined, openAll });
  if (seen.focus !== focus || seen.openAll !== openAll) {
    setSeen({ focus, openAll });
    if (focus && seen.focus !== focus) {
      setOpen(true);
      setNear(true);
    } else if (openAll && seen.openAll !== openAll) {
      setOpen(openAll.open ? open || !large : false);
    }
  }
  const ref = useRef<HTMLElement>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el || near || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setNear(true);
          io.disconnect();
        }
      },
      { root: rootRef.current, rootMargin: "800px 0px" },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [near, rootRef]);

  // Follow a citation: once the body is rendered, bring the first cited line (or the file) into view.
  useEffect(() => {
    if (!focus) return;
    const el = ref.current;
    if (!el) return;
    const first = focus.lines ? Math.min(...focus.lines) : null;
    const target = first !== null ? findLineRow(el, first) : null;
    (target ?? el).scrollIntoView({ block: target ? "center" : "start" });
  }, [focus, open, near]);

  const range = focus?.lines ? ([Math.min(...focus.lines), Math.max(...focus.lines)] as const) : null;
  const canShowBody = !file.binary && file.hunks.length > 0;

  return (
    <section
      ref={ref}
      data-diff-file={file.path}
      data-status={file.status}
      aria-label={fileTitle(file)}
      className={`rounded-xl border bg-surface ${focus ? "border-ring/60" : "border-border"}`}
    >
      <header className={`sticky top-0 z-10 flex items-center gap-2 rounded-t-xl border-border bg-surface px-2 py-1.5 ${open && canShowBody ? "border-b" : "rounded-b-xl"}`}>
        <button
          type="button"
          aria-expanded={open}
          aria-label={`${open ? "Collapse" : "Expand"} ${fileTitle(file)}`}
          onClick={() => setOpen(!open)}
          className="flex min-w-0 flex-1 items-center gap-2 rounded-md px-1 py-0.5 text-left hover:bg-surface-2"
        >
          <svg
            width="12"
            height="12"
            viewBox="0 0 16 16"
            aria-hidden
            className={`shrink-0 text-muted transition-transform ${open ? "rotate-90" : ""}`}
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
          >
            <path d="M6 3.5 10.5 8 6 12.5" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <span className="min-w-0 truncate font-mono text-xs font-medium" title={fileTitle(file)}>
            {file.oldPath && file.newPath && file.oldPath !== file.newPath ? (
              <>
                <span className="text-muted">{file.oldPath}</span> → {file.newPath}
              </>
            ) : (
              file.path
            )}
          </span>
        </button>
        <span className="flex shrink-0 items-center gap-1.5">
          {file.status !== "modified" && <Badge tone={file.status === "added" ? "add" : file.status === "deleted" ? "del" : "warn"}>{STATUS_LABEL[file.status]}</Badge>}
          {file.oldMode && file.newMode && file.oldMode !== file.newMode && (
            <Badge>{`${file.oldMode} → ${file.newMode}`}</Badge>
          )}
          <Counts file={file} />
        </span>
      </header>
      {file.binary ? (
        open && <p className="px-4 py-3 text-xs text-muted">Binary file changed (contents not shown).</p>
      ) : file.hunks.length === 0 ? (
        open && (
          <p className="px-4 py-3 text-xs text-muted">
            {file.status === "renamed" ? "File renamed without changes." : file.oldMode !== file.newMode ? "File mode changed." : "No content changes."}
          </p>
        )
      ) : !open ? (
        large ? (
          <div className="flex items-center justify-between gap-3 rounded-b-xl border-t border-border px-4 py-2.5 text-xs text-muted">
            <span>Large diff: {file.rowCount.toLocaleString("en-US")} lines.</span>
            <button type="button" className="rounded-md border border-border px-2 py-1 font-medium text-fg hover:bg-surface-2" onClick={() => setOpen(true)}>
              Load diff
            </button>
          </div>
        ) : null
      ) : near ? (
        <FileBody file={file} mode={mode} range={range} />
      ) : (
        <div aria-hidden style={{ height: file.rowCount * ROW_PX }} />
      )}
    </section>
  );
}

function findLineRow(section: HTMLElement, newLine: number): HTMLElement | null {
  return section.querySelector<HTMLElement>(`[data-new-line="${newLine}"]`);
}

function Badge({ children, tone }: { children: ReactNode; tone?: "add" | "del" | "warn" }) {
  const colour = tone === "add" ? "text-add" : tone === "del" ? "text-del" : tone === "warn" ? "text-warning" : "text-muted";
  return <span className={`rounded-full border border-border px-1.5 py-px text-[11px] font-medium ${colour}`}>{children}</span>;
}

type Range = readonly [number, number] | null;

/** The hunks of one file, as rows grouped in blocks so off-screen blocks cost no layout. */
export const FileBody = memo(function FileBody({ file, mode, range }: { file: DiffFile; mode: DiffViewMode; range: Range }) {
  const blocks: ReactNode[] = [];
  let rows: ReactNode[] = [];
  const flush = () => {
    if (rows.length === 0) return;
    blocks.push(
      <div key={blocks.length} style={{ contentVisibility: "auto", containIntrinsicBlockSize: `auto ${rows.length * ROW_PX}px` }}>
        {rows}
      </div>,
    );
    rows = [];
  };
  const push = (row: ReactNode) => {
    rows.push(row);
    if (rows.length >= BLOCK_ROWS) flush();
  };
  file.hunks.forEach((h, hi) => {
    push(<HunkHeader key={`h${hi}`} hunk={h} />);
    if (mode === "split") {
      toSplitRows(h).forEach((r, ri) => push(<SplitRowView key={`${hi}:${ri}`} left={r.left} right={r.right} range={range} />));
    } else {
      h.lines.forEach((l, li) => push(<UnifiedRow key={`${hi}:${li}`} line={l} range={range} />));
    }
  });
  flush();
  return (
    <div role="table" aria-label={`Changes in ${file.path}`} className="overflow-hidden rounded-b-xl font-mono text-[12px] leading-5">
      {blocks}
    </div>
  );
});

function HunkHeader({ hunk }: { hunk: DiffHunk }) {
  return (
    <div role="row" className="flex bg-surface-2 text-muted">
      <span role="cell" className="min-w-0 flex-1 truncate px-3">
        @@ -{hunk.oldStart},{hunk.oldLines} +{hunk.newStart},{hunk.newLines} @@{hunk.section ? ` ${hunk.section}` : ""}
      </span>
    </div>
  );
}

const ROW_BG: Record<DiffLine["type"], string> = {
  add: "bg-[color-mix(in_srgb,var(--add)_11%,transparent)]",
  del: "bg-[color-mix(in_srgb,var(--del)_11%,transparent)]",
  context: "",
};
const GUTTER_BG: Record<DiffLine["type"], string> = {
  add: "bg-[color-mix(in_srgb,var(--add)_18%,transparent)]",
  del: "bg-[color-mix(in_srgb,var(--del)_18%,transparent)]",
  context: "",
};
const HIGHLIGHT_BAR = "shadow-[inset_3px_0_0_var(--warning)]";
const HIGHLIGHT_TINT = "bg-[color-mix(in_srgb,var(--warning)_16%,transparent)]";
const highlight = (line: DiffLine | null) => `${HIGHLIGHT_BAR} ${line?.type === "context" ? HIGHLIGHT_TINT : ""}`;
const SIGN = { add: "+", del: "-", context: " " } as const;

function inRange(line: DiffLine | null, range: Range): boolean {
  return !!(range && line && line.newNo !== null && line.type !== "del" && line.newNo >= range[0] && line.newNo <= range[1]);
}

function Content({ line }: { line: DiffLine }) {
  return (
    <>
      {line.content === "" ? "\u200b" : line.content}
      {line.noNewline && (
        <span className="ml-2 select-none text-muted" title="No newline at end of file">
          ⏎̸
        </span>
      )}
    </>
  );
}

function UnifiedRow({ line, range }: { line: DiffLine; range: Range }) {
  const hl = inRange(line, range);
  return (
    <div
      role="row"
      data-testid="diff-line"
      data-type={line.type}
      data-old-line={line.oldNo ?? undefined}
      data-new-line={line.newNo ?? undefined}
      data-highlighted={hl || undefined}
      className={`flex ${line.type === "context" && hl ? "" : ROW_BG[line.type]} ${hl ? highlight(line) : ""}`}
    >
      <span role="cell" aria-hidden className={`w-11 shrink-0 select-none pr-2 text-right text-muted/70 ${GUTTER_BG[line.type]}`}>
        {line.oldNo ?? ""}
      </span>
      <span role="cell" aria-hidden className={`w-11 shrink-0 select-none pr-2 text-right text-muted/70 ${GUTTER_BG[line.type]}`}>
        {line.newNo ?? ""}
      </span>
      <span aria-hidden className={`w-5 shrink-0 select-none text-center ${line.type === "add" ? "text-add" : line.type === "del" ? "text-del" : "text-muted"}`}>
        {SIGN[line.type]}
      </span>
      <span role="cell" className="min-w-0 flex-1 whitespace-pre-wrap pr-3 [overflow-wrap:anywhere]">
        <span className="sr-only">{line.type === "add" ? "added: " : line.type === "del" ? "removed: " : ""}</span>
        <Content line={line} />
      </span>
    </div>
  );
}

function SplitSide({ line, side, hl }: { line: DiffLine | null; side: "left" | "right"; hl: boolean }) {
  const no = line ? (side === "left" ? line.oldNo : line.newNo) : null;
  const type = line?.type ?? "context";
  const bg = line ? (line.type === "context" ? "" : ROW_BG[type]) : "bg-surface-2/60";
  return (
    <>
      <span role="cell" aria-hidden className={`w-11 shrink-0 select-none pr-2 text-right text-muted/70 ${line ? GUTTER_BG[type] : bg} ${hl ? highlight(line) : ""}`}>
        {no ?? ""}
      </span>
      <span
        role="cell"
        className={`min-w-0 flex-1 whitespace-pre-wrap px-2 [overflow-wrap:anywhere] ${hl && line?.type === "context" ? HIGHLIGHT_TINT : bg} ${side === "left" ? "border-r border-border" : ""}`}
      >
        {line && (
          <>
            <span className="sr-only">{line.type === "add" ? "added: " : line.type === "del" ? "removed: " : ""}</span>
            <Content line={line} />
          </>
        )}
      </span>
    </>
  );
}

function SplitRowView({ left, right, range }: { left: DiffLine | null; right: DiffLine | null; range: Range }) {
  const hl = inRange(right, range);
  return (
    <div
      role="row"
      data-testid="diff-line"
      data-old-line={left?.oldNo ?? undefined}
      data-new-line={right?.newNo ?? undefined}
      data-highlighted={hl || undefined}
      className="flex"
    >
      <SplitSide line={left} side="left" hl={false} />
      <SplitSide line={right} side="right" hl={hl} />
    </div>
  );
}
