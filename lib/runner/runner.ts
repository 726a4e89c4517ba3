import "server-only";
import { logError } from "@/lib/log";
import type { DbHandle } from "@/db";
import { cancelRequestedAmong, claimJob, finishJob, reapExpiredJobs, renewLeases, type JobRow } from "@/db/queries/jobs";
import { findAttempt, refreshTaskStatus, updateAttempt } from "@/db/queries/tasks";
import { AttemptEventWriter } from "@/lib/events/writer";
import { CANCEL_CHANNEL, JOBS_CHANNEL, STEER_CHANNEL, WARM_CHANNEL } from "@/lib/queue/notify";
import { steerPendingAmong } from "@/db/queries/steer";
import { warm } from "./warm";
import type { RunnerConfig } from "./config";
import os from "node:os";
import { cacheGenerationOf, deleteCacheRows } from "@/db/queries/environments";
import { closeVolumePool, prepareSandboxEtc, releaseLeftovers, warmVolumePool } from "./attempt-resources";
import { evictEntries } from "./env-cache";
import { reapWorkspaces } from "./reaper";
import { attemptWorkspace } from "./workspace";
import { runAttemptJob, type StopReason } from "./run-attempt";

const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** `steer`: a message to the attempt may be waiting (announced, or found by the heartbeat); its next step reads it. */
type ActiveJob = { job: JobRow; controller: AbortController; reason: StopReason | null; done: Promise<void>; steer: boolean };

export type Runner = {
  readonly id: string;
  /** Jobs this runner is working right now. */
  activeCount(): number;
  /** Stops claiming, stops the running attempts (they end as cancelled) and waits for them. */
  stop(): Promise<void>;
  /** Resolves when the runner has nothing to do (for tests and benchmarks). */
  whenIdle(): Promise<void>;
  /** Runs the sweeper now (for tests). */
  sweep(): Promise<number>;
};

/**
 * A queue worker: claims jobs up to its concurrency (and each user's limit, across all runners), renews their
 * leases, reacts to cancels within a second, and sweeps jobs whose runner died. Any number of runners may share
 * one database; in embedded mode one runs inside the web process.
 */
export async function startRunner(handle: DbHandle, config: RunnerConfig): Promise<Runner> {
  const active = new Map<string, ActiveJob>();
  let stopping = false;
  let claiming = false;
  let wantClaim = false;
  const idleWaiters: (() => void)[] = [];

  const stopJob = (aj: ActiveJob, reason: StopReason) => {
    if (aj.controller.signal.aborted) return;
    aj.reason = reason;
    aj.controller.abort(reason);
  };

  function checkIdle() {
    if (active.size === 0 && !claiming) idleWaiters.splice(0).forEach((fn) => fn());
  }

  async function claimLoop() {
    if (claiming) {
      wantClaim = true;
      return;
    }
    claiming = true;
    try {
      do {
        wantClaim = false;
        while (!stopping && active.size < config.concurrency) {
          const job = await claimJob(handle.db, { runnerId: config.runnerId, leaseMs: config.leaseMs, perUserLimit: config.perUserLimit });
          if (!job) break;
          start(job);
        }
      } while (wantClaim && !stopping);
    } catch (err) {
      logError("runner could not claim work", err);
    } finally {
      claiming = false;
      checkIdle();
    }
  }

  function start(job: JobRow) {
    const controller = new AbortController();
    // The first step reads the queue whatever: a message may have come before this runner took the job.
    const aj: ActiveJob = { job, controller, reason: null, done: Promise.resolve(), steer: true };
    const steerWaiting = () => {
      const waiting = aj.steer;
      aj.steer = false;
      return waiting;
    };
    const timeout = setTimeout(() => stopJob(aj, "timeout"), config.attemptTimeoutMs);
    aj.done = (async () => {
      try {
        const status = await runAttemptJob({ handle, config, job, signal: controller.signal, stopReason: () => aj.reason, steerWaiting });
        await finishJob(handle.db, job.id, status === "succeeded" ? "done" : status === "cancelled" ? "cancelled" : "failed");
      } catch (err) {
        logError("runner job crashed", err);
        await finishJob(handle.db, job.id, "failed").catch(() => undefined);
      } finally {
        clearTimeout(timeout);
        active.delete(job.id);
        if (!stopping) void claimLoop();
        checkIdle();
      }
    })();
    active.set(job.id, aj);
  }

  /**
   * Every second: all of this runner's leases renewed, any stop asked for and any message waiting, in three
   * statements whatever the count.
   */
  let beating = false;
  async function heartbeat() {
    const held = [...active.values()];
    // A slow beat (a busy database) is not stacked on by the next one.
    if (held.length === 0 || beating) return;
    beating = true;
    try {
      const renewed = await renewLeases(handle.db, held.map((aj) => aj.job.id), config.runnerId, config.leaseMs);
      const kept = held.filter((aj) => {
        if (renewed.has(aj.job.id)) return true;
        stopJob(aj, "lease_lost");
        return false;
      });
      const cancelled = await cancelRequestedAmong(handle.db, kept.map((aj) => aj.job.attemptId));
      for (const aj of kept) if (cancelled.has(aj.job.attemptId)) stopJob(aj, "cancel");
      // A message whose notification was lost (a dropped listener connection) still arrives within a second.
      const steered = await steerPendingAmong(handle.db, kept.map((aj) => aj.job.attemptId));
      for (const aj of kept) if (steered.has(aj.job.attemptId)) aj.steer = true;
    } catch (err) {
      logError("runner heartbeat failed", err);
    } finally {
      beating = false;
    }
  }

  /** Jobs whose lease expired were held by a runner that died: their attempts end as failed, logs kept. */
  async function sweep(): Promise<number> {
    const expired = await reapExpiredJobs(handle.db);
    for (const job of expired) {
      const attempt = await findAttempt(handle.db, job.attemptId);
      if (!attempt || FINAL.has(attempt.status)) continue;
      const message = "The runner working on this attempt stopped responding (runner lost). Its log so far is kept.";
      await updateAttempt(handle.db, attempt.id, { status: "failed", errorCode: "runner_lost", errorMessage: message, finishedAt: new Date() });
      const events = await AttemptEventWriter.open(handle, { taskId: job.taskId, attemptId: attempt.id, turn: job.turn });
      await events.append("error", { code: "runner_lost", message });
      await events.append("status", { status: "failed" });
      await refreshTaskStatus(handle.db, job.taskId);
      // When the dead runner shared this machine, its mount and cgroup are here: give them back now.
      await releaseLeftovers({ config, workspace: attemptWorkspace(config.dataDir, attempt.id), attemptId: attempt.id }).catch((err) =>
        logError("could not release a lost attempt's leftovers", err),
      );
    }
    return expired.length;
  }

  const unlistenJobs = await handle.listen(JOBS_CHANNEL, () => void claimLoop());
  const unlistenWarm = await handle.listen(WARM_CHANNEL, (payload) => {
    if (!stopping) void warm(handle, config, payload).catch((err) => logError("warm start failed", err));
  });
  const unlistenCancel = await handle.listen(CANCEL_CHANNEL, (attemptId) => {
    for (const aj of active.values()) if (aj.job.attemptId === attemptId) stopJob(aj, "cancel");
  });
  const unlistenSteer = await handle.listen(STEER_CHANNEL, (attemptId) => {
    for (const aj of active.values()) if (aj.job.attemptId === attemptId) aj.steer = true;
  });
  /** Prepared environments past their TTL, of an older generation or beyond the disk budget leave the disk. */
  async function evictCache() {
    const removed = await evictEntries({
      dataDir: config.dataDir,
      ttlMs: config.cache.ttlMs,
      maxBytes: config.cache.maxBytes,
      currentGeneration: (id) => cacheGenerationOf(handle.db, id),
    });
    await deleteCacheRows(handle.db, os.hostname(), removed);
  }

  const timers = [
    setInterval(() => void evictCache().catch((err) => logError("environment cache eviction failed", err)), 10 * 60_000),
    setInterval(() => void claimLoop(), config.pollMs),
    setInterval(() => void heartbeat(), config.heartbeatMs),
    setInterval(() => void sweep().catch((err) => logError("runner sweep failed", err)), config.sweepMs),
    setInterval(
      () =>
        void reapWorkspaces(handle.db, {
          dataDir: config.dataDir,
          ttlMs: config.workspaceTtlMs,
          busy: new Set([...active.values()].map((aj) => aj.job.attemptId)),
        }).catch((err) =>
          logError("workspace reaper failed", err),
        ),
      Math.min(config.workspaceTtlMs, 15 * 60_000),
    ),
  ];
  timers.forEach((t) => t.unref());
  await sweep().catch(() => 0);
  prepareSandboxEtc(config);
  const poolWarmed = warmVolumePool(config).catch((err) => logError("could not fill the volume pool", err));
  void evictCache().catch((err) => logError("environment cache eviction failed", err));
  void claimLoop();

  return {
    id: config.runnerId,
    activeCount: () => active.size,
    async stop() {
      stopping = true;
      timers.forEach(clearInterval);
      await unlistenJobs();
      await unlistenWarm();
      await unlistenCancel();
      await unlistenSteer();
      for (const aj of active.values()) stopJob(aj, "shutdown");
      await Promise.all([...active.values()].map((aj) => aj.done));
      await poolWarmed;
      await closeVolumePool(config).catch((err) => logError("could not release the volume pool", err));
    },
    whenIdle() {
      if (active.size === 0 && !claiming) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    sweep,
  };
}
