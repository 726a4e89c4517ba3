/**
 * 60 Code tasks submitted at once through the real app, like a team's browsers: POST /api/tasks with a session
 * cookie, then each task's page stream (GET /api/tasks/:id/events, SSE) read until its attempt ends. Fake model
 * (the default Code scenario: plan, `cat`, a patch, `node test/run.js`, a summary) and fake GitHub (clone over HTTP).
 *
 *   - embedded: `next start` with PGlite and the in-process runner;
 *   - scale-out (DATABASE_URL set): 1 web (`next start`, runner off) + 2 runner processes (scripts/worker.ts).
 *
 * Per run, side by side with its anchor (one task alone on the same server, before the load: the same figures with
 * nothing else running): first output (submit -> the first command's output reaching the browser's stream) p50/p95,
 * all done, CPU seconds per task (the app's processes and everything they ran: git, sandboxes), POST /api/tasks
 * latency (the 60 at once, and one a second while they run), and a board page (GET /) every 250 ms while they run.
 * One person submits them all; the per-person limit is lifted (RUNNER_PER_USER_CONCURRENCY=64) so that the figures
 * are those of 60 people's tasks.
 *
 * Run: npx tsx --conditions=react-server bench/load.ts   (needs `npx next build`; DATABASE_URL: scale-out too)
 * Env: BENCH_LOAD_TASKS (60), BENCH_PORT (3340), BENCH_LOAD_CPU_PROF=dir (--cpu-prof for the server and workers),
 * BENCH_LOAD_ONLY=embedded|scaleout, BENCH_LOAD_ROUNDS (1: the 60 again on the same server, each round reported: the first
 * round's figures include what a fresh server spends once, V8 compiling the code the run goes through).
 */
import http from "node:http";
import { allCpuSeconds, createTask, signedInBrowser, startAppServer, type AppServer } from "./lib/app-server";
import { loadNote, median, ms, quantile } from "./lib/stats";

const TASKS = Number(process.env.BENCH_LOAD_TASKS ?? 60);
const ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 1);
const PORT = Number(process.env.BENCH_PORT ?? 3340);
const PROF = process.env.BENCH_LOAD_CPU_PROF;
const ONLY = process.env.BENCH_LOAD_ONLY;
const PROMPT = "Make greet trim the name";
const DONE = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

type Watched = { firstOutput: number; done: number; status: string; error?: string };

/** Reads a task's SSE stream as the task page does until its attempt reaches a final status. Times from `t0`. */
function watchTask(app: AppServer, cookie: string, taskId: string, t0: number): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const out: Watched = { firstOutput: Number.NaN, done: Number.NaN, status: "" };
    const req = http.get(`${app.url}/api/tasks/${taskId}/events`, { agent: false, headers: { accept: "text/event-stream", cookie } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET /api/tasks/${taskId}/events: ${res.statusCode}`));
        return;
      }
      res.setEncoding("utf8");
      let buffer = "";
      res.on("data", (chunk: string) => {
        const at = performance.now() - t0;
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (!data) continue;
          const e = JSON.parse(data.slice(6)) as { type: string; payload: { chunkId?: string; status?: string; message?: string } };
          if (e.type === "error") out.error ??= e.payload.message;
          if (e.type === "log" && e.payload.chunkId !== "setup" && Number.isNaN(out.firstOutput)) out.firstOutput = at;
          if (e.type === "status" && e.payload.status && DONE.has(e.payload.status)) {
            out.done = at;
            out.status = e.payload.status;
            req.destroy();
            resolve(out);
          }
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", (err) => {
      if (!out.status) reject(err);
    });
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function page(app: AppServer, cookie: string): Promise<void> {
  const res = await fetch(`${app.url}/`, { headers: { cookie } });
  if (!res.ok) throw new Error(`GET /: ${res.status}`);
  await res.text();
}

function cpuOf(app: AppServer): number {
  return [app.pid, ...app.workers.map((w) => w.pid!)].reduce((sum, pid) => sum + allCpuSeconds(pid), 0);
}

type Figures = { first: number[]; done: number; cpuPerTask: number; post: number[]; postDuring: number[]; pages: number[]; statuses: Record<string, number>; errors: string[] };

/** `n` tasks at once (1: the anchor), with page and POST probes while they run. */
async function wave(app: AppServer, cookie: string, n: number, probes: boolean): Promise<Figures> {
  const cpu0 = cpuOf(app);
  const t0 = performance.now();
  const post: number[] = [];
  // Each submitted task's stream, opened as soon as its POST answers (wrapped: awaiting the list must not await the ends).
  const watching = await Promise.all(
    Array.from({ length: n }, async () => {
      const t = performance.now();
      const id = await createTask(app, cookie, PROMPT);
      post.push(performance.now() - t);
      return { ended: watchTask(app, cookie, id, t) };
    }),
  );
  let running = true;
  const pages: number[] = [];
  const postDuring: number[] = [];
  const extra: Promise<Watched>[] = [];
  const pageProbe = (async () => {
    while (probes && running) {
      pages.push(await timed(() => page(app, cookie)));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const postProbe = (async () => {
    while (probes && running && extra.length < 10) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!running) break;
      const t = performance.now();
      const id = await createTask(app, cookie, PROMPT);
      postDuring.push(performance.now() - t);
      extra.push(watchTask(app, cookie, id, t));
    }
  })();
  const results = await Promise.all(watching.map((w) => w.ended));
  const done = performance.now() - t0;
  running = false;
  await Promise.all([pageProbe, postProbe]);
  const extras = await Promise.all(extra);
  const cpu = cpuOf(app) - cpu0;
  const statuses: Record<string, number> = {};
  for (const r of [...results, ...extras]) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const errors = [...new Set([...results, ...extras].flatMap((r) => (r.error ? [r.error] : [])))];
  return { first: results.map((r) => r.firstOutput), done, cpuPerTask: cpu / (n + extras.length), post, postDuring, pages, statuses, errors };
}

function report(label: string, f: Figures) {
  const q = (s: number[]) => `p50 ${ms(median(s))} / p95 ${ms(quantile(s, 0.95))}`;
  console.log(`  ${label}`);
  console.log(`    first output ${q(f.first)}; all done ${(f.done / 1000).toFixed(1)} s; CPU ${f.cpuPerTask.toFixed(2)} CPU-s a task; ends ${JSON.stringify(f.statuses)}`);
  for (const e of f.errors) console.log(`    an attempt failed: ${e}`);
  console.log(`    POST /api/tasks ${q(f.post)}${f.postDuring.length ? `; while running ${q(f.postDuring)} (${f.postDuring.length})` : ""}${f.pages.length ? `; GET / while running ${q(f.pages)} (${f.pages.length})` : ""}`);
}

async function benchOn(mode: "embedded" | "scaleout") {
  const app = await startAppServer({
    port: PORT,
    db: mode === "embedded" ? "pglite" : "postgres",
    workers: mode === "scaleout" ? 2 : 0,
    // 16 attempts at once each promised the default 4 GiB disk cap would ask more than a shared machine has free.
    env: { RUNNER_PER_USER_CONCURRENCY: "64", SANDBOX_DISK_MB: "1024" },
    nodeArgs: PROF ? ["--cpu-prof", `--cpu-prof-dir=${PROF}`] : [],
  });
  try {
    const { browser, cookie } = await signedInBrowser(app);
    await browser.close();
    console.log(`load: ${TASKS} Code tasks at once through the HTTP API and SSE, ${mode === "embedded" ? "embedded (next start, PGlite, in-process runner)" : "1 web + 2 workers on PostgreSQL"}; ${loadNote()}`);
    // The first task makes the mirror and loads every route; then the anchor: one task on the warm server.
    const warm = await wave(app, cookie, 1, false);
    console.log(`  warm-up (cold mirror): first output ${ms(warm.first[0])}`);
    const anchor = await wave(app, cookie, 1, false);
    const idlePages: number[] = [];
    for (let i = 0; i < 20; i++) idlePages.push(await timed(() => page(app, cookie)));
    anchor.pages = idlePages;
    report("anchor: 1 task alone (GET / idle)", anchor);
    for (let round = 1; round <= ROUNDS; round++) {
      const load = await wave(app, cookie, TASKS, true);
      report(`${TASKS} tasks at once${ROUNDS > 1 ? ` (round ${round} of ${ROUNDS})` : ""}`, load);
      const goals = mode === "embedded" ? { p95: 5000, cpu: 0.15 } : { p95: 3000, cpu: 0.15 };
      const p95 = quantile(load.first, 0.95);
      const met = (ok: boolean) => (ok ? "(met)" : "(NOT met)");
      console.log(
        `  goals: first output p95 < ${goals.p95 / 1000} s -> ${ms(p95)} ${met(p95 < goals.p95)}; CPU <= ${goals.cpu} CPU-s a task -> ${load.cpuPerTask.toFixed(2)} ${met(load.cpuPerTask <= goals.cpu)}; ` +
          `POST p95 < 100 ms while running -> ${ms(quantile(load.postDuring, 0.95))} ${met(quantile(load.postDuring, 0.95) < 100)}; GET / p95 < 200 ms while running -> ${ms(quantile(load.pages, 0.95))} ${met(quantile(load.pages, 0.95) < 200)}`,
      );
    }
  } finally {
    await app.close();
  }
}

if (ONLY !== "scaleout") await benchOn("embedded");
if (ONLY !== "embedded") {
  if (process.env.DATABASE_URL) await benchOn("scaleout");
  else console.log("load, scale-out: skipped (set DATABASE_URL)");
}
