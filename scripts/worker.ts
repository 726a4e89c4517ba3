// `npm run worker`: a runner process on its own. Start any number, on any machines, against one DATABASE_URL.
import { getDbHandle } from "@/db";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { lowerRunnerPriority } from "@/lib/runner/priority";
import { startRunner } from "@/lib/runner/runner";

lowerRunnerPriority();

const handle = await getDbHandle();
const runner = await startRunner(handle, runnerConfigFromEnv());
console.log(`runner ${runner.id} started (${handle.kind})`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping runner ${runner.id}`);
  await runner.stop();
  await handle.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
