import "server-only";
import { getDbHandle, type DbHandle } from "@/db";
import { claimDelivery, claimFinishedLink, finishDelivery, finishTaskLink, pruneDeliveries, requeueDelivery, retryTaskLinkAt } from "@/db/queries/github-hooks";
import { getEnv } from "@/lib/env";
import { logError } from "@/lib/log";
import { followThrough } from "./follow-through";
import { isTransient } from "./github";
import { handleDelivery } from "./process";

/**
 * The worker behind the webhook endpoint, in the web process: it drains the recorded deliveries (github_deliveries,
 * claimed with a lease, so that any number of web instances share the work and a crashed one's claims are taken
 * over) and then the tasks started from GitHub that finished (github_task_links), posting their results. It wakes
 * when a delivery is recorded (in this process directly, in others by NOTIFY) and polls for finished tasks.
 */

export const GITHUB_HOOKS_CHANNEL = "patchbay_github";

const LEASE_MS = 5 * 60_000;
/** A delivery GitHub kept failing on (down, rate-limited) is given up after this many tries. */
const MAX_TRIES = 5;
/** Posting a finished task's result while GitHub is down is tried again this often, for as long as it takes. */
const LINK_RETRY_MS = 60_000;
const PRUNE_EVERY_MS = 3600_000;

/** 10 s, 20 s, 40 s, 80 s (with the default base): a delivery GitHub kept failing on is given up after minutes. */
function backoffMs(tries: number, baseMs: number): number {
  return Math.min(10 * 60_000, baseMs * 2 ** Math.max(1, tries));
}
const KEEP_DELIVERIES_MS = 7 * 24 * 3600_000;

export type GitHubHooksWorker = {
  /** Drains what is there now (deliveries, then finished tasks); resolves when there is nothing left. */
  drain(): Promise<void>;
  stop(): Promise<void>;
};

type WorkerState = { worker?: GitHubHooksWorker; handle?: DbHandle };
const globalForHooks = globalThis as unknown as { __patchbayGitHubHooks?: WorkerState };
const state = (globalForHooks.__patchbayGitHubHooks ??= {});

/** A delivery was recorded: work it here if this process runs the worker, and tell the others. */
export async function wakeGitHubHooks(handle: DbHandle): Promise<void> {
  if (state.worker && state.handle === handle) void state.worker.drain();
  await handle.notify(GITHUB_HOOKS_CHANNEL, "");
}

type Timing = { retryBaseMs: number; linkRetryMs: number };

async function drainDeliveries(handle: DbHandle, timing: Timing): Promise<void> {
  for (;;) {
    const row = await claimDelivery(handle.db, { leaseMs: LEASE_MS, maxTries: MAX_TRIES });
    if (!row) return;
    try {
      await handleDelivery(handle, row);
      await finishDelivery(handle.db, row.id, "done");
    } catch (err) {
      logError(`GitHub delivery ${row.id} (${row.event})`, err);
      if (isTransient(err) && row.tries < MAX_TRIES) {
        await requeueDelivery(handle.db, row.id, { error: "GitHub did not answer; to be tried again", retryAt: new Date(Date.now() + backoffMs(row.tries, timing.retryBaseMs)) });
      } else {
        await finishDelivery(handle.db, row.id, "failed", "the delivery could not be handled");
      }
    }
  }
}

async function drainLinks(handle: DbHandle, timing: Timing): Promise<void> {
  for (;;) {
    const link = await claimFinishedLink(handle.db, { leaseMs: LEASE_MS });
    if (!link) return;
    try {
      const result = await followThrough(handle, link);
      await finishTaskLink(handle.db, link.taskId, result);
    } catch (err) {
      logError(`posting the result of task ${link.taskId} to GitHub`, err);
      if (isTransient(err)) {
        await retryTaskLinkAt(handle.db, link.taskId, { error: "GitHub did not answer; to be tried again", retryAt: new Date(Date.now() + timing.linkRetryMs) });
        continue;
      }
      await finishTaskLink(handle.db, link.taskId, { state: "failed", error: "the result could not be posted" });
    }
  }
}

/**
 * Starts the worker (once per process and database). `pollMs`: how often finished tasks (and deliveries another
 * instance left, or whose retry is due) are looked for; `retryBaseMs`, `linkRetryMs`: the back-offs after GitHub
 * failed.
 */
export async function startGitHubHooksWorker(
  handle: DbHandle,
  opts: { pollMs?: number; retryBaseMs?: number; linkRetryMs?: number } = {},
): Promise<GitHubHooksWorker> {
  if (state.worker && state.handle === handle) return state.worker;
  const pollMs = opts.pollMs ?? 2000;
  const timing: Timing = { retryBaseMs: opts.retryBaseMs ?? 5000, linkRetryMs: opts.linkRetryMs ?? LINK_RETRY_MS };
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let lastPrune = 0;

  const drain = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await drainDeliveries(handle, timing);
          await drainLinks(handle, timing);
          if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
            lastPrune = Date.now();
            await pruneDeliveries(handle.db, new Date(Date.now() - KEEP_DELIVERIES_MS));
          }
        } catch (err) {
          logError("the GitHub worker", err);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
    return running;
  };

  const unlisten = await handle.listen(GITHUB_HOOKS_CHANNEL, () => void drain());
  const timer = setInterval(() => void drain(), pollMs);
  timer.unref?.();
  const worker: GitHubHooksWorker = {
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await unlisten().catch(() => undefined);
      await running;
      if (state.worker === worker) {
        state.worker = undefined;
        state.handle = undefined;
      }
    },
  };
  state.worker = worker;
  state.handle = handle;
  void drain();
  return worker;
}

/** The web process's worker, when webhooks are configured (GITHUB_WEBHOOK_SECRET). */
export async function startGitHubHooksInProcess(): Promise<GitHubHooksWorker | null> {
  if (!getEnv().GITHUB_WEBHOOK_SECRET) return null;
  return startGitHubHooksWorker(await getDbHandle());
}
