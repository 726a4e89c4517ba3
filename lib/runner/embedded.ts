import "server-only";
import { getDbHandle } from "@/db";
import { runsRunnerInProcess } from "@/lib/env";
import { runnerConfigFromEnv } from "./config";
import { startRunner, type Runner } from "./runner";

const globalForRunner = globalThis as unknown as { __patchbayRunner?: Promise<Runner | null> };

/** Embedded mode: the web process also works the queue (unless RUNNER_EMBEDDED=false). */
export function startEmbeddedRunner(): Promise<Runner | null> {
  globalForRunner.__patchbayRunner ??= (async () => {
    if (!runsRunnerInProcess()) return null;
    const runner = await startRunner(await getDbHandle(), runnerConfigFromEnv());
    const stop = () => void runner.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    return runner;
  })();
  return globalForRunner.__patchbayRunner;
}
