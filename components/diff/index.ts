export { DiffView, type DiffViewProps, type DiffViewMode } from "./diff-view";
export { LARGE_FILE_ROWS } from "./rows";
export {
  parseUnifiedDiff,
  toSplitRows,
  diffTotals,
  findDiffFile,
  type DiffFile,
  type DiffHunk,
  type DiffLine,
  type DiffFileStatus,
  type SplitRow,
} from "./parse-diff";
