import type { ReactNode, Ref } from "react";
import type { DiffHunk, DiffLine } from "./parse-diff";
import type { BodyRow } from "./rows";

/** New-side line numbers to highlight (a citation), or null. */
export type Range = readonly [number, number] | null;

const ROW_BG: Record<DiffLine["type"], string> = {
  add: "bg-[color-mix(in_srgb,var(--add)_11%,transparent)]",
  del: "bg-[color-mix(in_srgb,var(--del)_11%,transparent)]",
  context: "",
};
/** A split row's line-number cell (on the surface itself). */
const GUTTER_BG: Record<DiffLine["type"], string> = {
  add: "bg-[color-mix(in_srgb,var(--add)_18%,transparent)]",
  del: "bg-[color-mix(in_srgb,var(--del)_18%,transparent)]",
  context: "",
};
/** A unified row's line-number cells, over the row's own tint: together as dark as a split row's (contrast AA). */
const UNIFIED_GUTTER_BG: Record<DiffLine["type"], string> = {
  add: "bg-[color-mix(in_srgb,var(--add)_8%,transparent)]",
  del: "bg-[color-mix(in_srgb,var(--del)_8%,transparent)]",
  context: "",
};
const HIGHLIGHT_BAR = "shadow-[inset_3px_0_0_var(--warning)]";
const HIGHLIGHT_TINT = "bg-[color-mix(in_srgb,var(--warning)_16%,transparent)]";
const highlight = (line: DiffLine | null) => `${HIGHLIGHT_BAR} ${line?.type === "context" ? HIGHLIGHT_TINT : ""}`;
const SIGN = { add: "+", del: "-", context: " " } as const;

function inRange(line: DiffLine | null, range: Range): boolean {
  return !!(range && line && line.newNo !== null && line.type !== "del" && line.newNo >= range[0] && line.newNo <= range[1]);
}

/** The props every virtualized row takes: its place among the file's rows and its position. */
type Placed = { index: number; rowRef?: Ref<HTMLDivElement>; top?: number };

/** One row of a file's body (hunk header, unified line or split pair), absolutely placed by the file's virtualizer. */
export function BodyRowView({ row, range, index, rowRef, top }: { row: BodyRow; range: Range } & Placed) {
  if (row.kind === "hunk") return <HunkHeader hunk={row.hunk} index={index} rowRef={rowRef} top={top} />;
  if (row.kind === "split") return <SplitRowView left={row.left} right={row.right} range={range} index={index} rowRef={rowRef} top={top} />;
  return <UnifiedRow line={row.line} range={range} index={index} rowRef={rowRef} top={top} />;
}

const placed = "absolute left-0 flex w-full";

function HunkHeader({ hunk, index, rowRef, top }: { hunk: DiffHunk } & Placed) {
  return (
    <div role="row" aria-rowindex={index + 1} data-index={index} ref={rowRef} style={top === undefined ? undefined : { top }} className={`${placed} bg-surface-2 text-muted`}>
      <span role="cell" className="min-w-0 flex-1 truncate px-3">
        @@ -{hunk.oldStart},{hunk.oldLines} +{hunk.newStart},{hunk.newLines} @@{hunk.section ? ` ${hunk.section}` : ""}
      </span>
    </div>
  );
}

function Content({ line }: { line: DiffLine }): ReactNode {
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

const said = (line: DiffLine) => (line.type === "add" ? "added: " : line.type === "del" ? "removed: " : "");

function UnifiedRow({ line, range, index, rowRef, top }: { line: DiffLine; range: Range } & Placed) {
  const hl = inRange(line, range);
  return (
    <div
      role="row"
      aria-rowindex={index + 1}
      data-index={index}
      ref={rowRef}
      style={top === undefined ? undefined : { top }}
      data-testid="diff-line"
      data-type={line.type}
      data-old-line={line.oldNo ?? undefined}
      data-new-line={line.newNo ?? undefined}
      data-highlighted={hl || undefined}
      className={`${placed} ${line.type === "context" && hl ? "" : ROW_BG[line.type]} ${hl ? highlight(line) : ""}`}
    >
      <span role="cell" aria-hidden className={`w-11 shrink-0 select-none pr-2 text-right text-muted ${UNIFIED_GUTTER_BG[line.type]}`}>
        {line.oldNo ?? ""}
      </span>
      <span role="cell" aria-hidden className={`w-11 shrink-0 select-none pr-2 text-right text-muted ${UNIFIED_GUTTER_BG[line.type]}`}>
        {line.newNo ?? ""}
      </span>
      <span aria-hidden className={`w-5 shrink-0 select-none text-center ${line.type === "add" ? "text-add" : line.type === "del" ? "text-del" : "text-muted"}`}>
        {SIGN[line.type]}
      </span>
      <span role="cell" className="min-w-0 flex-1 whitespace-pre-wrap pr-3 [overflow-wrap:anywhere]">
        <span className="sr-only select-none">{said(line)}</span>
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
      <span role="cell" aria-hidden className={`w-11 shrink-0 select-none pr-2 text-right text-muted ${line ? GUTTER_BG[type] : bg} ${hl ? highlight(line) : ""}`}>
        {no ?? ""}
      </span>
      <span
        role="cell"
        className={`min-w-0 flex-1 whitespace-pre-wrap px-2 [overflow-wrap:anywhere] ${hl && line?.type === "context" ? HIGHLIGHT_TINT : bg} ${side === "left" ? "border-r border-border" : ""}`}
      >
        {line && (
          <>
            <span className="sr-only select-none">{said(line)}</span>
            <Content line={line} />
          </>
        )}
      </span>
    </>
  );
}

function SplitRowView({ left, right, range, index, rowRef, top }: { left: DiffLine | null; right: DiffLine | null; range: Range } & Placed) {
  const hl = inRange(right, range);
  return (
    <div
      role="row"
      aria-rowindex={index + 1}
      data-index={index}
      ref={rowRef}
      style={top === undefined ? undefined : { top }}
      data-testid="diff-line"
      data-old-line={left?.oldNo ?? undefined}
      data-new-line={right?.newNo ?? undefined}
      data-highlighted={hl || undefined}
      className={placed}
    >
      <SplitSide line={left} side="left" hl={false} />
      <SplitSide line={right} side="right" hl={hl} />
    </div>
  );
}
