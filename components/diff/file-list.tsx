"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useRef } from "react";
import { Counts, fileTitle, STATUS_LABEL } from "./file-section";
import type { DiffFile } from "./parse-diff";

const ITEM_PX = 26;

function StatusMark({ status }: { status: DiffFile["status"] }) {
  const letter = { added: "A", deleted: "D", renamed: "R", copied: "C", modified: "M" }[status];
  const colour = status === "added" ? "text-add" : status === "deleted" ? "text-del" : status === "modified" ? "text-muted" : "text-warning";
  return (
    <span aria-label={STATUS_LABEL[status]} title={STATUS_LABEL[status]} className={`w-3 shrink-0 text-center font-mono text-xs font-semibold ${colour}`}>
      {letter}
    </span>
  );
}

/** The changed files, a button each that jumps to the file; virtualized too (a diff may touch thousands). */
export const FileList = memo(function FileList({
  files,
  onJump,
  focus,
}: {
  files: DiffFile[];
  onJump: (index: number) => void;
  /** A file whose entry to show and focus (a new object does it again). */
  focus?: { index: number } | null;
}) {
  const scrollRef = useRef<HTMLUListElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: files.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ITEM_PX,
    overscan: 10,
    initialRect: { width: 600, height: 224 },
    useFlushSync: false,
  });
  useEffect(() => {
    if (!focus) return;
    virtualizer.scrollToIndex(focus.index, { align: "center" });
    let frames = 0;
    const focusEntry = () => {
      const button = scrollRef.current?.querySelector<HTMLButtonElement>(`[aria-posinset="${focus.index + 1}"] button`);
      if (button) button.focus({ preventScroll: true });
      else if (frames++ < 30) requestAnimationFrame(focusEntry);
    };
    requestAnimationFrame(focusEntry);
  }, [focus, virtualizer]);

  return (
    <nav aria-label="Changed files" className="mb-3 rounded-xl border border-border bg-surface">
      <ul ref={scrollRef} className="relative max-h-56 overflow-y-auto py-1" style={{ height: Math.min(224, virtualizer.getTotalSize() + 8) }}>
        <li aria-hidden className="pointer-events-none block w-full" style={{ height: virtualizer.getTotalSize() }} />
        {virtualizer.getVirtualItems().map((item) => {
          const f = files[item.index];
          return (
            <li
              key={item.key}
              aria-setsize={files.length}
              aria-posinset={item.index + 1}
              className="absolute left-0 w-full"
              style={{ top: 4 + item.start, height: ITEM_PX }}
            >
              <button
                type="button"
                onClick={() => onJump(item.index)}
                className="flex h-full w-full items-center gap-2 px-3 text-left hover:bg-surface-2 focus-visible:outline-offset-[-2px]"
              >
                <StatusMark status={f.status} />
                <span className="min-w-0 flex-1 truncate font-mono text-xs" title={fileTitle(f)}>
                  {fileTitle(f)}
                </span>
                <Counts file={f} />
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
});
