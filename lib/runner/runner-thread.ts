// The embedded runner's thread (started by lib/runner/embedded.ts, bundled by Next.js as a worker entry): the runner
// works the queue here, beside the web's thread instead of on it, so that pages and API calls stay quick while tasks
// run. With PGlite it reaches the web's database thread through the port it was given; with PostgreSQL it opens a
// pool of its own.
import "server-only";
import { parentPort, workerData } from "node:worker_threads";
import { adoptDbHandle, getDbHandle, type ThreadLink } from "@/db";
import { openPgliteOverPort } from "@/db/client";
import { logError } from "@/lib/log";
import { runnerConfigFromEnv } from "./config";
import { lowerRunnerPriority } from "./priority";
import { startRunner } from "./runner";

export type RunnerThreadData = { link: ThreadLink | null };
export type RunnerThreadMessage = { started: string } | { failed: string } | { stopped: true };

const post = (m: RunnerThreadMessage) => parentPort?.postMessage(m);

async function main() {
  lowerRunnerPriority();
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
