/**
 * 1,000 browsers watching one running task, through the real app: `next start` of the production build (proxy.ts,
 * the session check, the events route), embedded (PGlite + the in-process runner) unless DATABASE_URL is set.
 * Issue 10's goal: p99 < 100 ms and the server under 50 % of a core with 1,000 viewers.
 *
 * A person signs in (Chromium, the fake GitHub), starts a Code task whose command prints a line every 50 ms (the
 * runner writes those as log events, coalesced over 60 ms: ~12 rows a second). Viewers are node:http SSE readers
 * with the session cookie, in a child process. Per run:
 *   - connect: every viewer opens GET /api/tasks/:id/events at once; time to each one's first bytes, and to all;
 *   - then for WINDOW seconds: each event's arrival at each viewer minus its row's createdAt (the insert), and the
 *     server process's CPU (user + system, all its threads) over the window.
 * The anchor, in the same run on the same task: 1 viewer. Then VIEWERS (1,000) viewers.
 *
 * Run: npx tsx --conditions=react-server bench/sse-latency.ts   (needs `npx next build`; DATABASE_URL: PostgreSQL too)
 * Env: BENCH_SSE_VIEWERS (1000), BENCH_SSE_WINDOW_S (10), BENCH_PORT (3300), BENCH_SSE_CPU_PROF=dir (profile the
 * server with --cpu-prof into dir).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { cancelTask, cpuSeconds, createTask, repoRoot, signedInBrowser, startAppServer, waitForTask, type AppServer } from "./lib/app-server";
import { benchDbKinds, loadNote, median, ms, quantile } from "./lib/stats";

const VIEWERS = Number(process.env.BENCH_SSE_VIEWERS ?? 1000);
const WINDOW_S = Number(process.env.BENCH_SSE_WINDOW_S ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 3300);
const PROF = process.env.BENCH_SSE_CPU_PROF;
const clientsScript = path.join(repoRoot, "bench", "lib", "sse-clients.mjs");

type Run = { viewers: number; connectAll: number; connect: number[]; lat: number[]; cpu: number; events: number; errors: number; connected: number };

async function watch(app: AppServer, cookie: string, taskId: string, viewers: number): Promise<Run> {
  const child = spawn(process.execPath, [clientsScript, `${app.url}/api/tasks/${taskId}/events`, String(viewers)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, SSE_COOKIE: cookie, NODE_OPTIONS: "" },
  });
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const connected = JSON.parse((await lines.next()).value as string) as { connected: number; errors: number; allMs: number; connectMs: number[] };
  const cpu0 = cpuSeconds(app.pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const cpu = (cpuSeconds(app.pid) - cpu0) / ((performance.now() - t0) / 1000);
  child.stdin!.write("stop\n");
  const result = JSON.parse((await lines.next()).value as string) as { latencies: number[]; events: number; errors: number };
  await new Promise((r) => child.once("exit", r));
  return {
    viewers,
    connectAll: connected.allMs,
    connect: connected.connectMs,
    connected: connected.connected,
    lat: result.latencies,
    cpu,
    events: result.events,
    errors: connected.errors + result.errors,
  };
}

function report(r: Run, aloneCpu: number) {
  const perViewer = r.lat.length / Math.max(1, r.connected);
  // The server's CPU beyond what the task costs with nobody watching, per event delivered to one viewer.
  const perDelivery = ((r.cpu - aloneCpu) * WINDOW_S * 1e6) / Math.max(1, r.lat.length);
  console.log(
    `  ${String(r.viewers).padStart(5)} viewer(s): connect all ${ms(r.connectAll)} (each: median ${ms(median(r.connect))}, p99 ${ms(quantile(r.connect, 0.99))}; ` +
      `${r.connected}/${r.viewers} connected, ${r.errors} errors)`,
  );
  console.log(
    `        insert -> viewer: median ${ms(median(r.lat))}  p90 ${ms(quantile(r.lat, 0.9))}  p99 ${ms(quantile(r.lat, 0.99))}  max ${ms(Math.max(...r.lat))}` +
      `  (${r.lat.length} deliveries, ${perViewer.toFixed(0)} events a viewer in ${WINDOW_S} s)   server CPU ${(r.cpu * 100).toFixed(0)} % of a core (${perDelivery.toFixed(0)} µs a delivery)`,
  );
}

async function benchOn(db: "pglite" | "postgres") {
  const app = await startAppServer({
    port: PORT,
    db,
    nodeArgs: PROF ? ["--cpu-prof", `--cpu-prof-dir=${PROF}`] : [],
  });
  let closeBrowser = async () => {};
  try {
    const { browser, cookie } = await signedInBrowser(app);
    closeBrowser = () => browser.close();
    await browser.close();
    const taskId = await createTask(app, cookie, "[scenario:sse-ticks] print a tick every 50 ms");
    await waitForTask(app, cookie, taskId, (t) => t.attempts[0]?.status === "running");
    // Let the command start printing, so that the backlog a late viewer reads is not empty.
    await new Promise((r) => setTimeout(r, 1500));
    const idle0 = cpuSeconds(app.pid);
    const ti = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const idleCpu = (cpuSeconds(app.pid) - idle0) / ((performance.now() - ti) / 1000);
    console.log(`sse viewers of one running task through next start (${db === "pglite" ? "embedded, PGlite" : "PostgreSQL"}; ${loadNote()})`);
    console.log(`  the task alone (command printing, runner writing events, no viewer): server CPU ${(idleCpu * 100).toFixed(0)} % of a core`);
    const one = await watch(app, cookie, taskId, 1);
    report(one, idleCpu);
    const many = await watch(app, cookie, taskId, VIEWERS);
    report(many, idleCpu);
    const p99 = quantile(many.lat, 0.99);
    console.log(
      `  goal (${VIEWERS} viewers): p99 < 100 ms -> ${ms(p99)} ${p99 < 100 ? "(met)" : "(NOT met)"}; CPU < 50 % -> ${(many.cpu * 100).toFixed(0)} % ${many.cpu < 0.5 ? "(met)" : "(NOT met)"}`,
    );
    await cancelTask(app, cookie, taskId);
  } finally {
    await closeBrowser().catch(() => undefined);
    await app.close();
  }
}

for (const db of benchDbKinds) await benchOn(db);
