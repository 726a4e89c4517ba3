// The embedded runner's thread (started by lib/runner/embedded.ts, bundled by Next.js as a worker entry): the runner
// works the queue here, beside the web's thread instead of on it, so that pages and API calls stay quick while tasks
// run. With PGlite it reaches the web's database thread through the port it was given; with PostgreSQL it opens a
// pool of its own.
import "server-only";
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { adoptDbHandle, getDbHandle, type ThreadLink } from "@/db";
import { openPgliteOverPort } from "@/db/client";
import { logError } from "@/lib/log";
import { runnerConfigFromEnv } from "./config";
import { startRunner } from "./runner";

export type RunnerThreadData = { link: ThreadLink | null };
export type RunnerThreadMessage = { started: string } | { failed: string } | { stopped: true };

const post = (m: RunnerThreadMessage) => parentPort?.postMessage(m);

/**
 * The runner's thread yields the CPU to the web's and the database's when the machine is busy (Linux: a thread's
 * own niceness). Its commands already run at 10 (lib/sandbox/spawner.ts); the runner stays ahead of those.
 */
const RUNNER_THREAD_NICENESS = 5;

async function main() {
  try {
    os.setPriority(RUNNER_THREAD_NICENESS);
  } catch {
    // not allowed here (a container without the permission): the thread keeps the process's priority
  }
  const { link } = workerData as RunnerThreadData;
  if (link) adoptDbHandle(await openPgliteOverPort(link));
  const handle = await getDbHandle();
  const runner = await startRunner(handle, runnerConfigFromEnv());
  parentPort?.on("message", (m: { stop?: boolean }) => {
    if (!m.stop) return;
    void runner
      .stop()
      .catch((err) => logError("the embedded runner did not stop cleanly", err))
      .finally(() => post({ stopped: true }));
  });
  post({ started: runner.id });
}

main().catch((err) => {
  logError("the embedded runner did not start", err);
  post({ failed: err instanceof Error ? err.message : String(err) });
});
