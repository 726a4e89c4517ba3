import "server-only";
import { getDbHandle } from "@/db";
import { findEnvironment } from "@/db/queries/environments";
import { ImageAttachError, insertTaskWithJobs } from "@/db/queries/tasks";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import { requireUserRepo } from "@/lib/github/repos";
import { publishBoardChange } from "@/lib/events/user-stream";
import { notifyJobsQueued } from "@/lib/queue/notify";
import type { CreateTaskInput } from "./schemas";
import { titleFromPrompt } from "./title";

/**
 * Creates a task: checks the user can reach the repository through the App, inserts the task with one attempt and
 * one queued job per Best-of-N slot, and wakes the runners. Nothing runs inside this request.
 */
export async function createTask({ userId, input }: { userId: string; input: CreateTaskInput }) {
  const repo = await requireUserRepo({ userId, fullName: input.repo });
  const handle = await getDbHandle();
  // The engine: the task's choice, else the repository's environment's, else the server's default.
  const engine = input.engine ?? (await findEnvironment(handle.db, userId, repo.fullName))?.engine ?? getEnv().PATCHBAY_DEFAULT_ENGINE;
  const { task, attempts } = await insertTaskWithJobs(handle.db, {
    ownerId: userId,
    repoFullName: repo.fullName,
    baseBranch: input.branch,
    mode: input.mode,
    title: titleFromPrompt(input.prompt),
    prompt: input.prompt,
    attemptsCount: input.attempts,
    engine,
    imageIds: input.images,
  }).catch((err: unknown) => {
    if (err instanceof ImageAttachError) throw new AppError("bad_image", "An attached image was not found: upload it again.", 400);
    throw err;
  });
  await notifyJobsQueued(handle);
  await publishBoardChange(handle, userId, task.id);
  return { task, attempts };
}
