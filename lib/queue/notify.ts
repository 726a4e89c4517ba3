import "server-only";
import type { DbHandle } from "@/db";

export const JOBS_CHANNEL = "patchbay_jobs";
export const CANCEL_CHANNEL = "patchbay_cancel";

/** Wakes idle runners (they also poll, so a lost notification only delays a job by a poll interval). */
export async function notifyJobsQueued(handle: DbHandle): Promise<void> {
  await handle.notify(JOBS_CHANNEL, "");
}

/** A repository was picked in the composer: runners ready its mirror and cached checkout (JSON payload). */
export const WARM_CHANNEL = "patchbay_warm";

export async function notifyWarm(handle: DbHandle, request: { repoFullName: string; branch: string; userId: string }): Promise<void> {
  await handle.notify(WARM_CHANNEL, JSON.stringify(request));
}

export async function notifyCancel(handle: DbHandle, attemptId: string): Promise<void> {
  await handle.notify(CANCEL_CHANNEL, attemptId);
}

/** A person sent a message to a working attempt (payload: the attempt id): its runner reads it at the next step. */
export const STEER_CHANNEL = "patchbay_steer";

export async function notifySteer(handle: DbHandle, attemptId: string): Promise<void> {
  await handle.notify(STEER_CHANNEL, attemptId);
}
