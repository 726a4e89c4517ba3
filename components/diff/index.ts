export { DiffView, FileBody, LARGE_FILE_ROWS, type DiffViewProps, type DiffViewMode } from "./diff-view";
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
