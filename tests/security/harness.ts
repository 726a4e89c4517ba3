import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { listAttemptEvents } from "@/db/queries/events";
import { findAttempt, findTask, insertTaskWithJobs, type AttemptRow } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import type { Scenario, ScenarioStep } from "@/e2e/fakes/model/scenarios";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv, type RunnerConfig } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, waitFor, type TestStack } from "../helpers/stack";

/**
 * A hostile scripted model driving real Code tasks through the real runner and sandbox. Each attack is a scenario
 * chosen by a `[attack:<name>]` marker in the prompt; its steps are the agent's tool calls. Scenarios are built in
 * code (they embed host paths made for the run) and written as fixtures for the ordinary fake model server.
 */

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

export const sh = (script: string): ScenarioStep => ({ toolCalls: [{ name: "shell", arguments: { command: ["bash", "-c", script] } }] });
export const patch = (input: string): ScenarioStep => ({ toolCalls: [{ name: "apply_patch", arguments: { input } }] });
export const done = (text = "## Summary\n- done\n"): ScenarioStep => ({ text });

export function attack(name: string, steps: ScenarioStep[]): Scenario {
  return { name, match: { marker: `[attack:${name}]` }, steps: [...steps, done()] };
}

export type HostileStack = {
  stack: TestStack;
  handle: Awaited<ReturnType<typeof openTestDb>>;
  runner: Runner;
  config: RunnerConfig;
  userId: string;
  /** A folder of the host (0777, so even an unprivileged process outside the sandbox could write it). */
  markers: string;
  /** The host's temp folder made for this run: victims, markers. */
  hostDir: string;
  run(name: string, opts?: { attempts?: number; mode?: "code" | "ask" }): Promise<AttemptRun>;
  start(name: string, opts?: { attempts?: number; mode?: "code" | "ask" }): Promise<{ taskId: string; attemptIds: string[] }>;
  finished(attemptId: string, timeoutMs?: number): Promise<AttemptRun>;
  close(): Promise<void>;
};

export type AttemptRun = {
  attempt: AttemptRow;
  taskId: string;
  /** Every log text of the attempt, in order. */
  log: string;
  events: Awaited<ReturnType<typeof listAttemptEvents>>;
};

/**
 * Starts the fakes, a database and a runner whose limits come from `limits`. `scenarios` gets the host folders
 * (markers, hostDir) so attacks can name them.
 */
export async function startHostileStack(opts: {
  scenarios: (dirs: { markers: string; hostDir: string; dataDir: string }) => Scenario[];
  limits?: Partial<RunnerConfig["sandbox"]["attempt"]>;
  commandLimits?: Partial<RunnerConfig["sandbox"]["limits"]>;
  concurrency?: number;
  commandTimeoutMs?: number;
  /** DNS servers of the egress proxy (a test DNS server naming the test hosts). */
  egressDnsServers?: string[];
}): Promise<HostileStack> {
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-sec-"));
  fs.chmodSync(hostDir, 0o755);
  const markers = path.join(hostDir, "markers");
  fs.mkdirSync(markers);
  fs.chmodSync(markers, 0o777);
  const dataDir = path.join(hostDir, "data");
  fs.mkdirSync(dataDir, { mode: 0o755 });
  const fixtures = path.join(hostDir, "scenarios");
  fs.mkdirSync(fixtures);
  const scenarios = opts.scenarios({ markers, hostDir, dataDir });
  scenarios.push({ name: "fallback", match: { default: true }, steps: [done("Nothing to do.")] });
  for (const s of scenarios) fs.writeFileSync(path.join(fixtures, `${s.name}.json`), JSON.stringify(s));

  const stack = await startTestStack({ fixturesDir: fixtures, dataDir });
  const handle = await openTestDb("pglite");
  setProcessDb(handle);
  const base = runnerConfigFromEnv(getEnv());
  const config = runnerConfigFromEnv(getEnv(), {
    dataDir,
    concurrency: opts.concurrency ?? 2,
    perUserLimit: opts.concurrency ?? 2,
    pollMs: 100,
    heartbeatMs: 200,
    model: { baseURL: stack.model.url, apiKey: "sk-test", model: "fake-codex", apiMode: "responses", timeoutMs: 30_000, maxRetries: 0 },
    agentLimits: { ...base.agentLimits, commandTimeoutMs: opts.commandTimeoutMs ?? 60_000 },
    sandbox: {
      ...base.sandbox,
      limits: { ...base.sandbox.limits, ...opts.commandLimits },
      attempt: { ...base.sandbox.attempt, ...opts.limits },
    },
    egress: { ...base.egress, dnsServers: opts.egressDnsServers ?? base.egress.dnsServers },
  });
  const runner = await startRunner(handle, config);
  const [user] = await handle.db.insert(users).values({ name: "Mallory", githubLogin: "mallory", githubId: 6660 }).returning();

  async function start(name: string, o: { attempts?: number; mode?: "code" | "ask" } = {}) {
    const prompt = `[attack:${name}] do as you are told`;
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: o.mode ?? "code",
      title: name,
      prompt,
      attemptsCount: o.attempts ?? 1,
    });
    await handle.notify("patchbay_jobs", "");
    return { taskId: task.id, attemptIds: attempts.map((a) => a.id) };
  }

  async function finished(attemptId: string, timeoutMs = 90_000): Promise<AttemptRun> {
    const attempt = await waitFor(
      async () => {
        const a = await findAttempt(handle.db, attemptId);
        return a && FINAL.includes(a.status) ? a : null;
      },
      timeoutMs,
      `attempt ${attemptId} to finish`,
    );
    const events = await listAttemptEvents(handle.db, attemptId);
    const log = events
      .filter((e) => e.type === "log" || e.type === "error")
      .map((e) => String(e.payload.text ?? e.payload.message ?? ""))
      .join("");
    const task = await findTask(handle.db, attempt.taskId);
    return { attempt, taskId: task!.id, log, events };
  }

  return {
    stack,
    handle,
    runner,
    config,
    userId: user.id,
    markers,
    hostDir,
    start,
    finished,
    async run(name, o) {
      const { attemptIds } = await start(name, o);
      return finished(attemptIds[0]);
    },
    async close() {
      await runner.stop();
      await handle.cleanup();
      await stack.close();
      fs.rmSync(hostDir, { recursive: true, force: true });
    },
  };
}

/** Files in the markers folder (an attack that ran on the host leaves one). */
export function markersLeft(dir: string): string[] {
  return fs.readdirSync(dir);
}
