import "server-only";
import { Worker } from "node:worker_threads";
import { getDbHandle } from "@/db";
import { runsRunnerInProcess } from "@/lib/env";
import { logError } from "@/lib/log";
import type { RunnerThreadData, RunnerThreadMessage } from "./runner-thread";

export type EmbeddedRunner = { stop(): Promise<void> };

const globalForRunner = globalThis as unknown as { __patchbayRunner?: Promise<EmbeddedRunner | null> };

/** A runner thread that stopped by itself (a crash) is started again after this long. */
const RESTART_MS = 1_000;

/**
 * Starts the runner's thread and resolves once its runner works the queue. The web's thread hands it a link to
 * the embedded database (PGlite allows one process, whose threads share it); on PostgreSQL it opens its own pool.
 */
async function startRunnerThread(onCrash: () => void): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const handle = await getDbHandle();
  const link = handle.linkThread ? await handle.linkThread() : null;
  const worker = new Worker(new URL("./runner-thread.ts", import.meta.url), {
    name: "patchbay-runner",
    // The runner's objects live briefly (events, messages); a small young generation keeps its idle memory down
    // (embedded-memory bench: the thread's isolate cost ~20-30 MB of the idle RSS with V8's default).
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
    workerData: { link } satisfies RunnerThreadData,
    transferList: link ? [link.port] : [],
  });
  let stopping = false;
  const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (m: RunnerThreadMessage) => {
      if ("started" in m) resolve();
      if ("failed" in m) reject(new Error(m.failed));
    });
    worker.once("error", reject);
    void exited.then((code) => reject(new Error(`the runner's thread stopped (exit ${code})`)));
  }).catch(async (err) => {
    await worker.terminate();
    throw err;
  });
  worker.on("error", (err) => logError("the embedded runner's thread failed", err));
  void exited.then((code) => {
    if (stopping) return;
    logError("the embedded runner's thread stopped; starting it again", new Error(`exit ${code}`));
    onCrash();
  });
  return {
    worker,
    async stop() {
      stopping = true;
      const stopped = new Promise<void>((resolve) => worker.on("message", (m: RunnerThreadMessage) => "stopped" in m && resolve()));
      worker.postMessage({ stop: true });
      await Promise.race([stopped, exited]);
      await worker.terminate();
    },
  };
}

/**
 * Embedded mode: the web process also works the queue (unless RUNNER_EMBEDDED=false), on a thread of its own so
 * that the runner's work (events, streams, the model's replies) does not queue behind pages and API calls.
 */
export function startEmbeddedRunner(): Promise<EmbeddedRunner | null> {
  globalForRunner.__patchbayRunner ??= (async () => {
    if (!runsRunnerInProcess()) return null;
    let current: Awaited<ReturnType<typeof startRunnerThread>> | null = null;
    let stopping = false;
    const restart = () =>
      setTimeout(() => {
        if (stopping) return;
        startRunnerThread(restart).then(
          (t) => (current = t),
          (err) => {
            logError("the embedded runner did not start again", err);
            restart();
          },
        );
      }, RESTART_MS).unref();
    current = await startRunnerThread(restart);
    const runner: EmbeddedRunner = {
      async stop() {
        stopping = true;
        await current?.stop();
      },
    };
    const stop = () => void runner.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    return runner;
  })();
  return globalForRunner.__patchbayRunner;
}
