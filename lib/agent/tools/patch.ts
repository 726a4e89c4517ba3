import "server-only";

import { applyPatch, formatPatchResult } from "../apply-patch/apply";
import { patchFromShell } from "../apply-patch/invocation";
import { ToolInputError, joinWorkdir } from "./args";
import type { ToolContext, ToolOutcome } from "./context";

export async function runApplyPatch(input: unknown, ctx: ToolContext, baseDir?: string): Promise<ToolOutcome> {
  if (ctx.mode === "ask" || ctx.fs === null) {
    return { output: "error: apply_patch is not available: this is a read-only task (Ask mode); do not modify files.", ok: false };
  }
  if (typeof input !== "string") throw new ToolInputError("input must be a string holding the patch text");
  const result = await applyPatch(input, ctx.fs, { baseDir });
  ctx.emit({ type: "patch", changed: result.changed, failures: result.failures });
  for (const c of result.changed) ctx.noteDirectory?.(c.path.includes("/") ? c.path.slice(0, c.path.lastIndexOf("/")) : "");
  return { output: formatPatchResult(result), ok: result.failures.length === 0 };
}

/**
 * A patch sent as a shell command (`apply_patch '<patch>'`, a bash heredoc, after `cd dir &&`) is applied by the
 * host-side patcher, relative to the command's directory; null when the command is not one.
 */
export async function runShellPatch(argv: string[], workdir: string | undefined, ctx: ToolContext): Promise<ToolOutcome | null> {
  const found = patchFromShell(argv);
  if (!found) return null;
  if (found.kind === "malformed") return { output: `error: ${found.message}`, ok: false };
  return runApplyPatch(found.patch, ctx, joinWorkdir(workdir, found.cd));
}
