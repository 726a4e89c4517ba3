import "server-only";
import os from "node:os";

/**
 * The runner's niceness. When the machine is busy (an embedded runner, or a worker beside a web instance), the
 * threads serving people (pages, the API, event streams, the database's) go first; the runner's commands already run
 * at 10 (lib/sandbox/spawner.ts) and the runner stays ahead of them. On Linux a niceness is a thread's own: this
 * lowers the calling thread and what it starts afterwards (the command helper), nothing else of the process.
 */
export const RUNNER_NICENESS = 5;

export function lowerRunnerPriority(): void {
  try {
    if (os.getPriority() < RUNNER_NICENESS) os.setPriority(RUNNER_NICENESS);
  } catch {
    // not allowed here: the runner keeps the process's priority
  }
}
