import "server-only";
import type { DbHandle } from "@/db";

export const JOBS_CHANNEL = "patchbay_jobs";
export const CANCEL_CHANNEL = "patchbay_cancel";

/** Wakes idle runners (they also poll, so a lost notification only delays a job by a poll interval). */
export async function notifyJobsQueued(handle: DbHandle): Promise<void> {
  await handle.notify(JOBS_CHANNEL, "");
}

export async function notifyCancel(handle: DbHandle, attemptId: string): Promise<void> {
  await handle.notify(CANCEL_CHANNEL, attemptId);
}
