/**
 * Memory of the embedded process (`next start` of the production build: Next.js + PGlite + the in-process runner),
 * the server process's RSS sampled from /proc every 20 ms (git and the sandboxed commands are other processes).
 * Issue 10's goals: idle < 250 MB, first boot < 400 MB peak.
 *
 *   - anchor: the same build with the runner off (RUNNER_EMBEDDED=false) and no request that opens the database:
 *     Next.js alone, idle;
 *   - first boot on a new data folder (the database created, migrated): peak, and idle RSS 10 s after it answers;
 *   - load: a person signs in, runs a Code task to the end, opens the board and the task page; then idle again;
 *   - second boot on that data folder: peak and idle.
 *
 * Run: npx tsx --conditions=react-server bench/embedded-memory.ts   (needs `npx next build`)
 * Env: BENCH_PORT (3320), BENCH_IDLE_S (10).
 */
import fs from "node:fs";
import { createTask, rssOf, signedInBrowser, startAppServer, waitForTask, type AppServer } from "./lib/app-server";
import { loadNote, mb } from "./lib/stats";

const PORT = Number(process.env.BENCH_PORT ?? 3320);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 10);

/**
 * RSS of the server process. `next start` serves from that one process (the runner in it); git and the sandboxes
 * are other programs, and a child between fork and exec would show the parent's shared pages a second time.
 */
function treeRss(pid: number): number {
  return rssOf(pid).rss;
}

/** Samples the server's RSS until stopped; `peak` is the highest sample. */
function sampler(pid: () => number | undefined) {
  let peak = 0;
  let last = 0;
  const timer = setInterval(() => {
    const p = pid();
    if (!p) return;
    last = treeRss(p);
    peak = Math.max(peak, last);
  }, 20);
  return {
    get peak() {
      return peak;
    },
    get last() {
      return last;
    },
    /** Starts a new peak from the current sample. */
    reset() {
      peak = last;
    },
    stop: () => clearInterval(timer),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function boot(opts: { dataDir?: string; env?: Record<string, string> }): Promise<{ app: AppServer; peak: number; ready: number; idle: number; bootMs: number }> {
  let pid: number | undefined;
  const s = sampler(() => pid);
  const t0 = performance.now();
  const app = await startAppServer({ port: PORT, dataDir: opts.dataDir, env: opts.env, onSpawn: (p) => (pid = p) });
  const bootMs = performance.now() - t0;
  const ready = s.last;
  await sleep(IDLE_S * 1000);
  const idle = treeRss(app.pid);
  s.stop();
  return { app, peak: s.peak, ready, idle, bootMs };
}

console.log(`embedded process memory (next start, RSS of the server process; ${loadNote()})`);

const bare = await boot({ env: { RUNNER_EMBEDDED: "false" } });
await bare.app.close();
console.log(`  anchor, Next.js alone (runner off, database never opened): idle ${mb(bare.idle)}, peak ${mb(bare.peak)}`);

const first = await boot({});
console.log(`  first boot, new data folder: ready in ${(first.bootMs / 1000).toFixed(1)} s, peak ${mb(first.peak)}, idle ${mb(first.idle)} (${IDLE_S} s after ready)`);

let pid = first.app.pid;
const s = sampler(() => pid);
let loadPeak = 0;
let afterLoad = 0;
try {
  const phases: string[] = [];
  const phase = (name: string) => {
    phases.push(`${name} ${mb(s.peak)}`);
    loadPeak = Math.max(loadPeak, s.peak);
    s.reset();
  };
  const { browser, context, cookie } = await signedInBrowser(first.app);
  try {
    phase("sign-in");
    const id = await createTask(first.app, cookie, "Make greet trim the name");
    await waitForTask(first.app, cookie, id, (t) => t.task.status === "succeeded" || t.task.status === "failed", 120_000);
    phase("task run");
    const page = await context.newPage();
    await page.goto("/");
    await page.getByTestId("task-row").first().waitFor();
    phase("board");
    await page.goto(`/tasks/${id}`);
    await page.getByRole("table", { name: /Changes in/ }).waitFor();
    phase("task page");
    if (process.env.BENCH_MEMORY_PHASES) console.log(`    peaks by phase: ${phases.join(", ")}`);
  } finally {
    await browser.close();
  }
  await sleep(IDLE_S * 1000);
  afterLoad = treeRss(pid);
} catch (err) {
  await first.app.close();
  throw err;
} finally {
  s.stop();
}
console.log(`  after load (sign-in, one Code task run, board and task page): peak ${mb(Math.max(loadPeak, s.peak))}, idle ${mb(afterLoad)}`);
const dataDir = first.app.dataDir;
await first.app.close({ keepData: true });

const second = await boot({ dataDir });
pid = second.app.pid;
console.log(`  second boot, same data folder: ready in ${(second.bootMs / 1000).toFixed(1)} s, peak ${mb(second.peak)}, idle ${mb(second.idle)}`);
await second.app.close();
fs.rmSync(dataDir, { recursive: true, force: true });

const ok = (v: number, goal: number) => (v < goal * 1024 * 1024 ? "(met)" : "(NOT met)");
console.log(`  goals: idle < 250 MB -> ${mb(first.idle)} first boot, ${mb(second.idle)} later boots ${ok(Math.max(first.idle, second.idle), 250)}; first boot peak < 400 MB -> ${mb(first.peak)} ${ok(first.peak, 400)}`);
