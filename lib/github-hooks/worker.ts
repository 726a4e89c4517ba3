import "server-only";
import { getDbHandle, type DbHandle } from "@/db";
import { claimDelivery, claimFinishedLink, finishDelivery, finishTaskLink, pruneDeliveries, requeueDelivery } from "@/db/queries/github-hooks";
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
const PRUNE_EVERY_MS = 3600_000;
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

async function drainDeliveries(handle: DbHandle): Promise<void> {
  for (;;) {
    const row = await claimDelivery(handle.db, { leaseMs: LEASE_MS, maxTries: MAX_TRIES });
    if (!row) return;
    try {
      await handleDelivery(handle, row);
      await finishDelivery(handle.db, row.id, "done");
    } catch (err) {
      logError(`GitHub delivery ${row.id} (${row.event})`, err);
      if (isTransient(err) && row.tries < MAX_TRIES) await requeueDelivery(handle.db, row.id, "GitHub did not answer; to be tried again");
      else await finishDelivery(handle.db, row.id, "failed", "the delivery could not be handled");
      // A transient failure is tried again on the next wake or poll, not in a tight loop.
      if (isTransient(err)) return;
    }
  }
}

async function drainLinks(handle: DbHandle): Promise<void> {
  for (;;) {
    const link = await claimFinishedLink(handle.db, { leaseMs: LEASE_MS });
    if (!link) return;
    try {
      const result = await followThrough(handle, link);
      await finishTaskLink(handle.db, link.taskId, result);
    } catch (err) {
      logError(`posting the result of task ${link.taskId} to GitHub`, err);
      if (isTransient(err)) {
        // Back to waiting: the next poll tries again.
        await finishTaskLink(handle.db, link.taskId, { state: "waiting", error: "GitHub did not answer; to be tried again" });
        return;
      }
      await finishTaskLink(handle.db, link.taskId, { state: "failed", error: "the result could not be posted" });
    }
  }
}

/**
 * Starts the worker (once per process and database). `pollMs`: how often finished tasks (and deliveries another
 * instance left) are looked for.
 */
export async function startGitHubHooksWorker(handle: DbHandle, opts: { pollMs?: number } = {}): Promise<GitHubHooksWorker> {
  if (state.worker && state.handle === handle) return state.worker;
  const pollMs = opts.pollMs ?? 2000;
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
          await drainDeliveries(handle);
          await drainLinks(handle);
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
