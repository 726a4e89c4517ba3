"use client";

import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { DiffFocus } from "@/components/log/types";
import { FileList } from "./file-list";
import { FileSection } from "./file-section";
import { diffTotals, findDiffFile, parseUnifiedDiff, type DiffFile } from "./parse-diff";
import { bodyRows, estimateFileHeight, HEADER_PX, LARGE_FILE_ROWS, ROW_PX, rowOfNewLine, type BodyRow, type DiffViewMode } from "./rows";

export type { DiffViewMode } from "./rows";

/** The app's own sticky bar (components' layout: 48 px and a 1 px border): file headers stick below it. */
export const APP_BAR_PX = 49;

export type DiffViewProps = {
  /** `git diff --binary` output; may be large. */
  diff: string;
  view: DiffViewMode;
  /** Without it, the view toggle still works (the component keeps its own choice). */
  onViewChange?: (view: DiffViewMode) => void;
  /** Scrolls to a file and highlights its new-side lines. Keep it in state: a new object re-scrolls. */
  focus?: DiffFocus;
  className?: string;
  /** How far below the window's top file headers stick and jumps land (what the page's own sticky bar covers). */
  stickyTop?: number;
};

const isLarge = (f: DiffFile) => f.rowCount > LARGE_FILE_ROWS;
const NO_CHOICES = new Map<number, boolean>();

/** Each file's rows in one layout, made the first time the file is rendered. */
class RowsCache {
  private readonly rows = new Map<DiffFile, BodyRow[]>();
  constructor(private readonly mode: DiffViewMode) {}
  of(file: DiffFile): BodyRow[] {
    let rows = this.rows.get(file);
    if (!rows) this.rows.set(file, (rows = bodyRows(file, this.mode)));
    return rows;
  }
}

/**
 * A diff of any size, in the page's own flow (the page scrolls, not a box): files and their rows are virtualized
 * against the window, so only what is near the screen is in the DOM whatever the diff's size. Large files start
 * collapsed behind "Load diff".
 */
export function DiffView({ diff, view, onViewChange, focus, className = "", stickyTop = APP_BAR_PX }: DiffViewProps) {
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

  // Which files are open: a person's choice per file, else large files closed. Reset with a new diff.
  const [choices, setChoices] = useState<{ files: DiffFile[]; byIndex: Map<number, boolean> }>({ files, byIndex: NO_CHOICES });
  const byIndex = choices.files === files ? choices.byIndex : NO_CHOICES;
  const isOpen = useCallback((i: number) => byIndex.get(i) ?? !isLarge(files[i]), [byIndex, files]);
  const toggle = useCallback(
    (i: number) =>
      setChoices((prev) => {
        const current = prev.files === files ? prev.byIndex : NO_CHOICES;
        return { files, byIndex: new Map(current).set(i, !(current.get(i) ?? !isLarge(files[i]))) };
      }),
    [files],
  );
  const anyOpen = files.some((_, i) => isOpen(i));
  const toggleAll = () => {
    const next = new Map<number, boolean>();
    files.forEach((f, i) => next.set(i, anyOpen ? false : isOpen(i) || !isLarge(f)));
    setChoices({ files, byIndex: next });
  };

  const rowsCache = useMemo(() => new RowsCache(mode), [files, mode]); // eslint-disable-line react-hooks/exhaustive-deps -- a new diff is a new cache
  const rowsOf = (f: DiffFile) => rowsCache.of(f);
  const heights = useMemo(() => files.map((f, i) => estimateFileHeight(f, isOpen(i), mode)), [files, isOpen, mode]);
  // A file's size is remembered per key: opening, closing or another layout is another size to measure.
  const getItemKey = useCallback((i: number) => `${i}:${isOpen(i) ? "open" : "closed"}:${mode}`, [isOpen, mode]);

  // Where the list of files starts on the page: what the window's scroll position counts from.
  const listRef = useRef<HTMLDivElement>(null);
  const [listTop, setListTop] = useState(0);
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const update = () => setListTop(Math.round(el.getBoundingClientRect().top + window.scrollY));
    update();
    // Anything above it that grows or shrinks (a message, the file list) changes the page's height.
    const ro = new ResizeObserver(update);
    ro.observe(document.body);
    return () => ro.disconnect();
  }, [files.length]);

  const virtualizer = useWindowVirtualizer({
    count: files.length,
    estimateSize: (i) => heights[i],
    getItemKey,
    overscan: 2,
    scrollMargin: listTop,
    scrollPaddingStart: stickyTop,
    initialRect: { width: 1000, height: 1000 },
    useFlushSync: false,
  });

  // Follow a citation: open its file and bring the cited line (or the file) up.
  const focusedIndex = useMemo(() => {
    const f = focus ? findDiffFile(files, focus.path) : undefined;
    return f ? files.indexOf(f) : -1;
  }, [files, focus]);
  const range = useMemo(() => (focus?.lines ? ([Math.min(...focus.lines), Math.max(...focus.lines)] as const) : null), [focus]);
  const [seenFocus, setSeenFocus] = useState<DiffFocus | undefined>(undefined);
  if (focus !== seenFocus) {
    setSeenFocus(focus);
    if (focusedIndex >= 0 && !isOpen(focusedIndex)) toggle(focusedIndex);
  }
  const focusRow = focusedIndex >= 0 && range ? rowOfNewLine(rowsOf(files[focusedIndex]), range[0]) : -1;
  useEffect(() => {
    if (focusedIndex < 0) return;
    if (focusRow < 0) {
      virtualizer.scrollToIndex(focusedIndex, { align: "start" });
      return;
    }
    // One absolute target (the file's place plus its rows above the line), so that nothing re-scrolls after it.
    // (The render just before built the places of the files, the cited one open.)
    const start = virtualizer.measurementsCache[focusedIndex]?.start ?? 0;
    const line = start + 1 + HEADER_PX + focusRow * ROW_PX;
    virtualizer.scrollToOffset(Math.max(0, line - stickyTop - (window.innerHeight - stickyTop) / 2));
  }, [focus, focusedIndex, focusRow, stickyTop, virtualizer]);

  // Closing a file scrolled into: bring its header back where its rows were, not some file further down.
  const onToggle = useCallback(
    (i: number) => {
      const start = virtualizer.getVirtualItems().find((it) => it.index === i)?.start;
      if (isOpen(i) && start !== undefined && window.scrollY + stickyTop > start) virtualizer.scrollToOffset(Math.max(0, start - stickyTop));
      toggle(i);
    },
    [isOpen, stickyTop, toggle, virtualizer],
  );

  // From a file's header, back up to the list of files (a large diff is long to scroll back).
  const rootRef = useRef<HTMLDivElement>(null);
  const [listFocus, setListFocus] = useState<{ index: number } | null>(null);
  const toFileList = useCallback(
    (index: number) => {
      const nav = rootRef.current?.querySelector<HTMLElement>('nav[aria-label="Changed files"]');
      if (!nav) return;
      window.scrollTo({ top: Math.max(0, nav.getBoundingClientRect().top + window.scrollY - stickyTop - 40) });
      setListFocus({ index });
    },
    [stickyTop],
  );

  const jumpTo = useCallback(
    (i: number) => {
      virtualizer.scrollToIndex(i, { align: "start" });
      // Move focus to the file's header once it is rendered there, for keyboard users.
      let frames = 0;
      const focusHeader = () => {
        const button = document.querySelector<HTMLButtonElement>(`[data-file-index="${i}"] header button[aria-expanded]`);
        if (button) button.focus({ preventScroll: true });
        else if (frames++ < 30) requestAnimationFrame(focusHeader);
      };
      requestAnimationFrame(focusHeader);
    },
    [virtualizer],
  );

  const items = virtualizer.getVirtualItems();
  // The files in the window itself (`items` has a few more on each side, for the keyboard's Tab).
  const inRange = virtualizer.range;

  if (files.length === 0) {
    return (
      <div className={`rounded-xl border border-dashed border-border p-6 text-center text-sm text-muted ${className}`}>
        {diff.trim() ? "This diff could not be read." : "No changes."}
      </div>
    );
  }

  return (
    <div ref={rootRef} className={`text-sm ${className}`} data-testid="diff-view" data-files={files.length}>
      <div className="flex flex-wrap items-center justify-between gap-2 pb-2">
        <p className="text-xs text-muted">
          {`${totals.files} ${totals.files === 1 ? "file" : "files"} changed · `}
          <span className="font-medium text-add">{`+${totals.additions}`}</span> <span className="font-medium text-del">{`−${totals.deletions}`}</span>
        </p>
        <div className="flex items-center gap-2">
          <button type="button" className="rounded-md px-2 py-1 text-xs text-muted hover:bg-surface-2 hover:text-fg" onClick={toggleAll}>
            {anyOpen ? "Collapse all" : "Expand all"}
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
      <FileList files={files} onJump={jumpTo} focus={listFocus} />
      <div ref={listRef} className="relative w-full [overflow-anchor:none]" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const file = files[item.index];
          const focused = item.index === focusedIndex;
          return (
            <FileSection
              key={`${item.index}:${file.path}`}
              file={file}
              index={item.index}
              rows={rowsOf(file)}
              open={isOpen(item.index)}
              onToggle={onToggle}
              onFileList={toFileList}
              start={item.start}
              listTop={listTop}
              stickyTop={stickyTop}
              measure={virtualizer.measureElement}
              focused={focused}
              range={focused ? range : null}
              inView={!inRange || (item.index >= inRange.startIndex && item.index <= inRange.endIndex)}
            />
          );
        })}
      </div>
    </div>
  );
}
