/**
 * Time from task creation (insertTaskWithJobs + NOTIFY, what the app's create action does) to the first command's
 * output event, with a warm mirror. Issue 3's goal: under 500 ms.
 *
 * One warm-up task creates the repository mirror (and loads every module); then N tasks run one after another.
 * Each phase is read from the rows the runner wrote (jobs.started_at, task_events.created_at) against the bench's
 * clock at creation, and the first output is also timed as the moment this process was woken for it (the same
 * bus the SSE endpoint uses).
 *
 * Run: npx tsx --conditions=react-server bench/task-latency.ts   (DATABASE_URL set: PostgreSQL too)
 */
import { eq } from "drizzle-orm";
import { listAttemptEvents, listTaskEventsAfter } from "@/db/queries/events";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { jobs, users } from "@/db/schema";
import { subscribeTaskEvents } from "@/lib/events/bus";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner } from "@/lib/runner/runner";
import { attemptWorkspace, createCheckout, resolveCommit, syncMirror } from "@/lib/runner/workspace";
import { checkSandboxAvailable, createBwrapSandbox, ensureSandboxUser } from "@/lib/sandbox";
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { promisify } from "node:util";
import { openBenchDb, setProcessDb } from "./lib/db";
import { startBenchStack, type BenchStack } from "./lib/stack";
import { benchDbKinds, loadNote, median, ms, nowMs, quantile } from "./lib/stats";

const N = Number(process.env.BENCH_TASKS ?? 15);
const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
const PROMPT = "Make greet trim the name"; // code-greet: update_plan, then `cat src/greet.js` as the first command

type Phases = {
  claim: number;
  preparing: number;
  checkout: number;
  checkoutSelf: number;
  running: number;
  firstModel: number;
  commandStart: number;
  firstOutput: number;
  observed: number;
  total: number;
};

async function benchOn(kind: "pglite" | "postgres", stack: BenchStack): Promise<void> {
  const handle = await openBenchDb(kind);
  setProcessDb(handle);
  const config = runnerConfigFromEnv(getEnv(), {
    dataDir: stack.dataDir,
    concurrency: 4,
    perUserLimit: 4,
    model: { baseURL: stack.model.url, apiKey: "sk-bench", model: "fake-codex", apiMode: "responses", timeoutMs: 30_000, maxRetries: 0 },
  });
  const runner = await startRunner(handle, config);
  const [user] = await handle.db.insert(users).values({ name: "Bench", githubLogin: "bench" }).returning();

  /** Creates a task and resolves when its attempt ended; records when this process first saw its first output. */
  async function runOne(): Promise<Phases> {
    let taskId = "";
    let lastId = 0;
    let observed = Number.NaN;
    let finished: () => void = () => {};
    const done = new Promise<void>((r) => (finished = r));
    let reading = false;
    let again = false;
    const wake = async () => {
      if (!taskId) return;
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const rows = await listTaskEventsAfter(handle.db, taskId, lastId, 500);
          const seenAt = nowMs();
          for (const e of rows) {
            lastId = e.id;
            if (Number.isNaN(observed) && e.type === "log" && e.payload.chunkId !== "setup") observed = seenAt;
            if (e.type === "status" && FINAL.has(String(e.payload.status))) finished();
          }
        } while (again);
      } finally {
        reading = false;
      }
    };
    const t0 = nowMs();
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: PROMPT,
      prompt: PROMPT,
      attemptsCount: 1,
    });
    taskId = task.id;
    const unsubscribe = await subscribeTaskEvents(handle, task.id, () => void wake());
    await handle.notify("patchbay_jobs", "");
    await wake();
    const timer = setTimeout(() => finished(), 60_000);
    await done;
    clearTimeout(timer);
    unsubscribe();

    const events = await listAttemptEvents(handle.db, attempts[0].id);
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.attemptId, attempts[0].id));
    const at = (pred: (e: (typeof events)[number]) => boolean) => {
      const e = events.find(pred);
      return e ? e.createdAt.getTime() - t0 : Number.NaN;
    };
    const setup = events.find((e) => e.type === "log" && e.payload.chunkId === "setup");
    const firstOutput = at((e) => e.type === "log" && e.payload.chunkId !== "setup");
    const end = events.at(-1);
    return {
      claim: job?.startedAt ? job.startedAt.getTime() - t0 : Number.NaN,
      preparing: at((e) => e.type === "status" && e.payload.status === "preparing"),
      checkout: at((e) => e === setup),
      checkoutSelf: Number(/in (\d+) ms/.exec(String(setup?.payload.text ?? ""))?.[1] ?? Number.NaN),
      running: at((e) => e.type === "status" && e.payload.status === "running"),
      firstModel: at((e) => e.type === "plan"),
      commandStart: at((e) => e.type === "command" && e.payload.phase === "start"),
      firstOutput,
      observed: observed - t0,
      total: end ? end.createdAt.getTime() - t0 : Number.NaN,
    };
  }

  try {
    const warm = await runOne();
    console.log(`task latency on ${kind}: warm-up task (creates the mirror): first output ${ms(warm.firstOutput)}, checkout ${ms(warm.checkoutSelf)}`);
    const runs: Phases[] = [];
    for (let i = 0; i < N; i++) runs.push(await runOne());
    const col = (k: keyof Phases) => runs.map((r) => r[k]);
    const line = (label: string, k: keyof Phases) =>
      console.log(`  ${label.padEnd(44)} median ${ms(median(col(k))).padStart(7)}   p90 ${ms(quantile(col(k), 0.9)).padStart(7)}`);
    console.log(`task latency on ${kind}: ${N} Code tasks in sequence, warm mirror, times from creation (insert + NOTIFY); ${loadNote()}`);
    line("job claimed (jobs.started_at)", "claim");
    line("status preparing", "preparing");
    line("checkout ready (setup log event)", "checkout");
    line("  of which mirror fetch + checkout (runner)", "checkoutSelf");
    line("status running (sandbox created)", "running");
    line("first model response (plan event)", "firstModel");
    line("first command started (command event)", "commandStart");
    line("FIRST OUTPUT committed (log event)", "firstOutput");
    line("FIRST OUTPUT seen by a subscriber", "observed");
    line("attempt finished (last event)", "total");
    const p = median(col("firstOutput"));
    console.log(`  goal: first output < 500 ms -> median ${ms(p)} ${p < 500 ? "(met)" : "(NOT met)"}`);
  } finally {
    await runner.stop();
    await handle.cleanup();
  }
}

/**
 * The preparing -> checkout-ready step, taken apart: the same calls run-attempt.ts makes, timed one by one (the
 * mirror is warm by now). Tells where the biggest share of the first-output latency goes.
 */
async function checkoutBreakdown(stack: BenchStack): Promise<void> {
  const config = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir });
  const repo = "acme/widgets";
  const parts: Record<string, number[]> = {};
  const lap = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const v = await fn();
    (parts[label] ??= []).push(performance.now() - t);
    return v;
  };
  const run = promisify(execFile);
  for (let i = 0; i < N; i++) {
    await lap("checkSandboxAvailable", () => checkSandboxAvailable({ bwrapPath: config.sandbox.bwrapPath }));
    const user = await lap("ensureSandboxUser", () => ensureSandboxUser());
    const token = await lap("installation token (fake GitHub)", () => config.github.tokenFor(repo));
    const mirror = await lap("git fetch into the mirror", () =>
      syncMirror({ dataDir: config.dataDir, repoFullName: repo, remoteUrl: config.github.remoteUrl(repo), token }),
    );
    const commit = (await lap("git rev-parse", () => resolveCommit(mirror, "main")))!;
    const ws = attemptWorkspace(config.dataDir, crypto.randomUUID());
    await lap("clone --no-hardlinks + checkout", () => createCheckout({ mirror, target: ws, commit }));
    await lap("chown -R to the sandbox user", () => run("chown", ["-R", `${user.uid}:${user.gid}`, ws.tree, ws.gitDir]));
    const box = await lap("createBwrapSandbox", () =>
      createBwrapSandbox({ workspaceDir: ws.tree, mode: "rw", network: "off", hostUser: user, bwrapPath: config.sandbox.bwrapPath }),
    );
    await lap("first sandboxed command (cat src/greet.js)", () => box.exec({ argv: ["cat", "src/greet.js"], timeoutMs: 10_000 }));
    await box.destroy();
    fs.rmSync(ws.root, { recursive: true, force: true });
  }
  console.log(`checkout breakdown (warm mirror, same calls as run-attempt.ts, ${N} runs):`);
  for (const [label, s] of Object.entries(parts)) console.log(`  ${label.padEnd(44)} median ${ms(median(s)).padStart(7)}`);
}

async function main() {
  const stack = await startBenchStack();
  try {
    for (const kind of benchDbKinds) await benchOn(kind, stack);
    await checkoutBreakdown(stack);
  } finally {
    await stack.close();
  }
}

await main();
