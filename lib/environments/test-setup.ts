import "server-only";
import { getDbHandle } from "@/db";
import { findEnvironment } from "@/db/queries/environments";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { AppError } from "@/lib/errors";
import { requireUserRepo } from "@/lib/github/repos";
import { notifyJobsQueued } from "@/lib/queue/notify";

/**
 * Test setup: runs the environment's saved setup script in a sandbox, as an attempt would (the base commit of the
 * default branch, the variables and secrets, the setup's internet policy), and nothing else — no agent, no cache.
 * It is a task of mode "setup": never on the board, its log streamed like any task's (GET /api/tasks/<id>/events).
 */
export async function startSetupTest({ userId, repoFullName }: { userId: string; repoFullName: string }) {
  const repo = await requireUserRepo({ userId, fullName: repoFullName });
  const handle = await getDbHandle();
  const environment = await findEnvironment(handle.db, userId, repo.fullName);
  if (!environment?.setupScript.trim()) {
    throw new AppError("no_setup_script", "Save a setup script first: Test setup runs the saved script.", 409);
  }
  const { task, attempts } = await insertTaskWithJobs(handle.db, {
    ownerId: userId,
    environmentId: environment.id,
    repoFullName: repo.fullName,
    baseBranch: repo.defaultBranch,
    mode: "setup",
    title: `Test setup of ${repo.fullName}`,
    prompt: "Test the environment's setup script.",
    attemptsCount: 1,
  });
  await notifyJobsQueued(handle);
  return { taskId: task.id, attemptId: attempts[0].id };
}
