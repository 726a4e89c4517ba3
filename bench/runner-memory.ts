/**
 * Peak memory of a runner working 20 attempts at once: 5 Code tasks x 4 attempts of the many-lines scenario (each
 * attempt runs a command printing 5000 lines, ~150 KB), runner concurrency 20 and per-user limit 20, in-process.
 * RSS is sampled every 50 ms from before the tasks are created until all 20 attempts ended.
 *
 * Run: npx tsx --conditions=react-server bench/runner-memory.ts   (DATABASE_URL set: PostgreSQL too)
 */
import { spawn } from "node:child_process";
import { inArray } from "drizzle-orm";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { attempts as attemptsTable, users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner } from "@/lib/runner/runner";
import { openBenchDb, setProcessDb } from "./lib/db";
import { startBenchStack, type BenchStack } from "./lib/stack";
import { benchDbKinds, loadNote, mb, median, ms } from "./lib/stats";

const TASKS = 5;
const ATTEMPTS_PER_TASK = 4;
const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
const PROMPT = "[scenario:many-lines] print a lot";

const startRss = process.memoryUsage().rss;

async function benchOn(kind: "pglite" | "postgres", stack: BenchStack): Promise<void> {
  const handle = await openBenchDb(kind);
  const dbRss = process.memoryUsage().rss;
  setProcessDb(handle);
  const config = runnerConfigFromEnv(getEnv(), {
    dataDir: stack.dataDir,
    concurrency: 20,
    perUserLimit: 20,
    model: { baseURL: stack.model.url, apiKey: "sk-bench", model: "fake-codex", apiMode: "responses", timeoutMs: 60_000, maxRetries: 0 },
  });
  const runner = await startRunner(handle, config);
  const [user] = await handle.db.insert(users).values({ name: "Bench", githubLogin: "bench" }).returning();
  const create = () =>
    insertTaskWithJobs(handle.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "many lines",
      prompt: PROMPT,
      attemptsCount: ATTEMPTS_PER_TASK,
    });
  const waitAll = async (ids: string[]) => {
    for (;;) {
      const rows = await handle.db.select().from(attemptsTable).where(inArray(attemptsTable.id, ids));
      if (rows.every((r) => FINAL.has(r.status))) return rows;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  try {
    // Warm-up: one attempt, so the mirror exists and every module is loaded before the baseline.
    const warm = await create();
    await handle.notify("patchbay_jobs", "");
    const [warmRow] = await waitAll(warm.attempts.map((a) => a.id));
    await runner.whenIdle();
    const alone = warmRow.finishedAt && warmRow.startedAt ? warmRow.finishedAt.getTime() - warmRow.startedAt.getTime() : Number.NaN;
    global.gc?.();
    await new Promise((r) => setTimeout(r, 500));

    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    let peakExternal = baseline.external + baseline.arrayBuffers;
    let maxActive = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers);
      maxActive = Math.max(maxActive, runner.activeCount());
    }, 50);

    const t0 = performance.now();
    const created = [];
    for (let i = 0; i < TASKS; i++) created.push(await create());
    await handle.notify("patchbay_jobs", "");
    const ids = created.flatMap((c) => c.attempts.map((a) => a.id));
    const rows = await waitAll(ids);
    const wall = performance.now() - t0;
    clearInterval(sampler);

    const statuses = new Map<string, number>();
    for (const r of rows) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const durations = rows.map((r) => (r.finishedAt && r.startedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : Number.NaN));
    console.log(`runner memory on ${kind}: ${TASKS} tasks x ${ATTEMPTS_PER_TASK} attempts of [scenario:many-lines] (5000 lines each), concurrency 20; ${loadNote()}`);
    console.log(`  RSS at process start ${mb(startRss)}, with the database open ${mb(dbRss)}`);
    console.log(`  baseline RSS (runner idle, after a warm-up attempt)   ${mb(baseline.rss)}`);
    console.log(`  peak RSS while working 20 attempts                    ${mb(peakRss)}`);
    console.log(`  peak - baseline                                       ${mb(peakRss - baseline.rss)}  (${mb((peakRss - baseline.rss) / 20)} per attempt)`);
    console.log(`  peak JS heap used ${mb(peakHeap)} (baseline ${mb(baseline.heapUsed)}), peak external+arrayBuffers ${mb(peakExternal)}`);
    console.log(`  most attempts active at once                          ${maxActive}`);
    console.log(`  wall time, creation to all 20 ended                   ${ms(wall)}  (per attempt median ${ms(median(durations))}, max ${ms(Math.max(...durations))})`);
    console.log(`  (one attempt alone, the warm-up: ${ms(alone)})`);
    console.log(`  outcomes: ${[...statuses].map(([s, n]) => `${n} ${s}`).join(", ")}`);
  } finally {
    await runner.stop();
    await handle.cleanup();
  }
}

/** Each database kind in a fresh process: RSS is not given back after PGlite closes, it would skew the next. */
async function main() {
  const only = process.env.BENCH_DB_KIND as "pglite" | "postgres" | undefined;
  if (!only) {
    for (const kind of benchDbKinds) {
      const child = spawn(process.execPath, [...process.execArgv, process.argv[1]], { stdio: "inherit", env: { ...process.env, BENCH_DB_KIND: kind } });
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      if (code !== 0) console.log(`runner memory on ${kind}: the bench process exited with ${code}`);
    }
    return;
  }
  const stack = await startBenchStack();
  try {
    await benchOn(only, stack);
  } finally {
    await stack.close();
  }
}

await main();
