import "server-only";
import { getDb } from "@/db";
import { findAttempt } from "@/db/queries/tasks";
import { createWorkspaceFs } from "@/lib/agent/workspace-fs";
import { getEnv } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";
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
 * A file of the attempt's checkout, for a citation. Read through the hostile-workspace reader: no path out of the
 * checkout, no symlink followed, nothing under .git.
 */
export async function readAttemptFile(args: { userId: string; taskId: string; attemptId: string; path: string }) {
  const { attempt } = await requireOwnAttempt(args);
  const ws = attemptWorkspace(getEnv().dataDir, attempt.id);
  let content: string | null;
  try {
    content = await createWorkspaceFs(ws.tree, { maxFileBytes: MAX_FILE_BYTES }).read(args.path);
  } catch (err) {
    throw new AppError("file_unreadable", `That file cannot be shown: ${(err as Error).message}`, 400);
  }
  if (content === null) {
    throw new AppError("file_not_found", "That file is not in the attempt's workspace (it may have been archived).", 404);
  }
  return { path: args.path, content };
}
