"use client";

import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { memo, useState, type ReactNode } from "react";
import { BodyRowView, type Range } from "./diff-rows";
import type { DiffFile } from "./parse-diff";
import { bodyKind, filePatch, GAP_PX, HEADER_PX, NOTE_PX, ROW_PX, type BodyRow } from "./rows";

export function fileTitle(f: DiffFile): string {
  return f.oldPath && f.newPath && f.oldPath !== f.newPath ? `${f.oldPath} → ${f.newPath}` : f.path;
}

export const STATUS_LABEL: Record<DiffFile["status"], string> = {
  added: "new",
  deleted: "deleted",
  renamed: "renamed",
  copied: "copied",
  modified: "modified",
};

export function Counts({ file }: { file: DiffFile }) {
  if (file.binary) return <span className="shrink-0 text-xs text-muted">binary</span>;
  if (file.hunks.length === 0) return null;
  return (
    <span className="shrink-0 font-mono text-xs tabular-nums">
      <span className="text-add">{`+${file.additions}`}</span> <span className="text-del">{`−${file.deletions}`}</span>
    </span>
  );
}

function Badge({ children, tone }: { children: ReactNode; tone?: "add" | "del" | "warn" }) {
  const colour = tone === "add" ? "text-add" : tone === "del" ? "text-del" : tone === "warn" ? "text-warning" : "text-muted";
  return <span className={`rounded-full border border-border px-1.5 py-px text-[11px] font-medium ${colour}`}>{children}</span>;
}

export type FileSectionProps = {
  file: DiffFile;
  index: number;
  /** The body's rows in the current layout (computed once per file and layout). */
  rows: BodyRow[];
  open: boolean;
  onToggle: (index: number) => void;
  /** Back to the list of changed files. */
  onFileList: (index: number) => void;
  /** Where this file starts, in page coordinates (the diff's virtualizer places it there). */
  start: number;
  /** Where the diff's list of files starts, in page coordinates (what `start` counts from). */
  listTop: number;
  /** How far below the top of the window headers stick (under the app's own sticky bar). */
  stickyTop: number;
  /** The diff's virtualizer measures each file's box with this. */
  measure: (el: HTMLElement | null) => void;
  focused: boolean;
  range: Range;
  /** Whether any of the file is in the window (files just outside it are rendered too, without their rows). */
  inView: boolean;
};

/**
 * One file: its header (sticky while its rows scroll by), then its rows, of which only those near the screen are in
 * the page (a window virtualizer of its own, offset to where the file's rows start on the page).
 */
export const FileSection = memo(function FileSection({ file, index, rows, open, onToggle, onFileList, start, listTop, stickyTop, measure, focused, range, inView }: FileSectionProps) {
  const kind = bodyKind(file, open);
  const title = fileTitle(file);
  return (
    <div ref={measure} data-index={index} data-file-index={index} className="absolute left-0 w-full" style={{ top: start - listTop, paddingBottom: GAP_PX }}>
      <section
        data-diff-file={file.path}
        data-status={file.status}
        aria-label={title}
        className={`rounded-xl border bg-surface ${focused ? "border-ring/60" : "border-border"}`}
      >
        <header
          style={{ height: HEADER_PX, top: stickyTop }}
          className={`sticky z-10 flex items-center gap-2 rounded-t-xl border-border bg-surface px-2 ${kind === "rows" || kind === "note" ? "border-b" : "rounded-b-xl"}`}
        >
          <button
            type="button"
            aria-expanded={open}
            aria-label={`${open ? "Collapse" : "Expand"} ${title}`}
            onClick={() => onToggle(index)}
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
            <span className="min-w-0 truncate font-mono text-xs font-medium" title={title}>
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
            {file.oldMode && file.newMode && file.oldMode !== file.newMode && <Badge>{`${file.oldMode} → ${file.newMode}`}</Badge>}
            <Counts file={file} />
            {file.hunks.length > 0 && <CopyPatch file={file} title={title} />}
            <button
              type="button"
              aria-label="Back to the changed files"
              title="Back to the changed files"
              onClick={() => onFileList(index)}
              className="rounded-md p-1 text-muted hover:bg-surface-2 hover:text-fg"
            >
              <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round">
                <path d="M5.5 4h8M5.5 8h8M5.5 12h8M2.5 4h.01M2.5 8h.01M2.5 12h.01" />
              </svg>
            </button>
          </span>
        </header>
        {kind === "rows" ? (
          <FileRows path={file.path} rows={rows} start={start} range={range} inView={inView} />
        ) : kind === "note" ? (
          <p style={{ height: NOTE_PX }} className="flex items-center px-4 text-xs text-muted">
            {file.binary
              ? "Binary file changed (contents not shown)."
              : file.status === "renamed"
                ? "File renamed without changes."
                : file.oldMode !== file.newMode
                  ? "File mode changed."
                  : "No content changes."}
          </p>
        ) : kind === "large" ? (
          <div style={{ height: NOTE_PX }} className="flex items-center justify-between gap-3 rounded-b-xl border-t border-border px-4 text-xs text-muted">
            <span>Large diff: {file.rowCount.toLocaleString("en-US")} lines.</span>
            <button type="button" className="rounded-md border border-border px-2 py-1 font-medium text-fg hover:bg-surface-2" onClick={() => onToggle(index)}>
              Load diff
            </button>
          </div>
        ) : null}
      </section>
    </div>
  );
});

/** Copies the file's part of the diff (its rows are virtualized: a selection cannot span a long file). */
function CopyPatch({ file, title }: { file: DiffFile; title: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const done = await navigator.clipboard?.writeText(filePatch(file)).then(
      () => true,
      () => false,
    );
    if (!done) return;
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button
      type="button"
      aria-label={copied ? `Copied the changes to ${title}` : `Copy the changes to ${title}`}
      title="Copy this file's patch"
      onClick={() => void copy()}
      className="rounded-md px-1.5 py-0.5 text-[11px] font-medium text-muted hover:bg-surface-2 hover:text-fg"
    >
      <span aria-live="polite">{copied ? "Copied" : "Copy"}</span>
    </button>
  );
}

/** A file's rows: a table whose rows near the screen are rendered, placed where they belong. */
function FileRows({ path, rows, start, range, inView }: { path: string; rows: BodyRow[]; start: number; range: Range; inView: boolean }) {
  // The rows start below the file box's top border and its header.
  const scrollMargin = start + 1 + HEADER_PX;
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => ROW_PX,
    overscan: 20,
    scrollMargin,
    initialRect: { width: 1000, height: 1000 },
    useFlushSync: false,
  });
  // A file wholly above or below the window renders no rows (its virtualizer would still give a screenful).
  const items = inView ? virtualizer.getVirtualItems() : [];

  return (
    <div
      role="table"
      aria-label={`Changes in ${path}`}
      aria-rowcount={rows.length}
      className="relative overflow-hidden rounded-b-xl font-mono text-[12px] leading-5"
      style={{ height: virtualizer.getTotalSize() }}
    >
      {items.map((item) => (
        <BodyRowView key={item.key} row={rows[item.index]} index={item.index} range={range} rowRef={virtualizer.measureElement} top={item.start - scrollMargin} />
      ))}
    </div>
  );
}
