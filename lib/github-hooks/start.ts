import "server-only";
import type { DbHandle } from "@/db";
import { findEnvironment } from "@/db/queries/environments";
import { insertTaskLink, type NewGitHubTaskLink } from "@/db/queries/github-hooks";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import type { TaskMode } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { notifyJobsQueued } from "@/lib/queue/notify";
import { titleFromPrompt } from "@/lib/tasks/title";

const MAX_PROMPT = 20_000;

/**
 * A task on the board of the person who asked on GitHub, with its link back to GitHub, in one transaction: a
 * delivery tried again after a crash finds the link (by its delivery id) instead of starting a second task. The
 * person's access was checked on GitHub (write access, through the App), not through their own sign-in token.
 */
export async function startLinkedTask(
  handle: DbHandle,
  opts: { ownerId: string; repoFullName: string; baseBranch: string; mode: Exclude<TaskMode, "setup">; prompt: string; link: Omit<NewGitHubTaskLink, "taskId" | "repoFullName"> },
) {
  const prompt = opts.prompt.length > MAX_PROMPT ? `${opts.prompt.slice(0, MAX_PROMPT - 1)}…` : opts.prompt;
  const environment = await findEnvironment(handle.db, opts.ownerId, opts.repoFullName);
  const engine = environment?.engine ?? getEnv().PATCHBAY_DEFAULT_ENGINE;
  const task = await handle.db.transaction(async (tx) => {
    const { task } = await insertTaskWithJobs(tx, {
      ownerId: opts.ownerId,
      repoFullName: opts.repoFullName,
      baseBranch: opts.baseBranch,
      mode: opts.mode,
      title: titleFromPrompt(prompt),
      prompt,
      attemptsCount: 1,
      engine,
    });
    await insertTaskLink(tx, { ...opts.link, taskId: task.id, repoFullName: opts.repoFullName });
    return task;
  });
  await notifyJobsQueued(handle);
  return task;
}
