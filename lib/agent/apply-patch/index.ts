import "server-only";

export { applyPatch, formatPatchResult, normalizePatchPath, PatchPathError, type ApplyPatchOptions } from "./apply";
export { parsePatch, type FileOp, type Hunk, type HunkLine, type ParsedPatch } from "./parse";
