import "server-only";
import fs from "node:fs/promises";
import path from "node:path";
import { getDb } from "@/db";
import { findAttempt } from "@/db/queries/tasks";
import { getEnv } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";
import { readCommitFile, SnapshotFileError } from "@/lib/runner/snapshot-files";
import { attemptWorkspace } from "@/lib/runner/workspace";
import { requireOwnTask } from "./access";

async function requireOwnAttempt({ userId, taskId, attemptId }: { userId: string; taskId: string; attemptId: string }) {
  const task = await requireOwnTask({ userId, taskId });
  const attempt = await findAttempt(await getDb(), attemptId);
  if (!attempt || attempt.taskId !== task.id) throw notFound("No such attempt.");
  return { task, attempt };
}

/** The attempt's patch, `git apply`-ready. */
export async function getAttemptDiff(args: { userId: string; taskId: string; attemptId: string }) {
  const { task, attempt } = await requireOwnAttempt(args);
  return { diff: attempt.diff ?? "", fileName: `patchbay-${task.id.slice(0, 8)}-${attempt.index + 1}.patch` };
}

const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * A file of the attempt, for a citation: from the turn's snapshot (Code) or the base commit (Ask), read out of the
 * attempt's host repository. Never from the checkout (gone after each turn anyway): nothing the agent shaped on
 * disk is followed.
 */
export async function readAttemptFile(args: { userId: string; taskId: string; attemptId: string; path: string }) {
  const { attempt } = await requireOwnAttempt(args);
  const ws = attemptWorkspace(getEnv().dataDir, attempt.id);
  const commit = attempt.snapshotCommit ?? attempt.baseCommit;
  if (!commit || !(await fs.stat(path.join(ws.hostRepo, "HEAD")).then(() => true, () => false))) {
    throw new AppError("file_not_found", "That file is not available: the attempt has no saved files (it may have been archived).", 404);
  }
  try {
    const content = await readCommitFile({ repo: ws.hostRepo, commit, path: args.path, maxBytes: MAX_FILE_BYTES });
    return { path: args.path, content };
  } catch (err) {
    if (err instanceof SnapshotFileError) {
      throw new AppError(err.code, `That file cannot be shown: ${err.message}.`, err.code === "file_not_found" ? 404 : 400);
    }
    throw err;
  }
}
