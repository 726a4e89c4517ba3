/**
 * Latency from an event appended (AttemptEventWriter.append of a non-coalesced event) to its arrival in each of
 * 100 SSE clients reading one task over real HTTP. Issue 4's goal: p99 under 100 ms.
 *
 * The server is a bare node:http server in this process that serves lib/events/stream.ts's taskEventStream for
 * the task with the app's SSE headers (no auth: the bench is not the app). The 100 clients are `fetch` readers in
 * a child process. 200 events go out at ~20/s, each carrying payload.sentAt (wall clock, ms); every client
 * notes its arrival time: 20,000 deliveries.
 *
 * Run: npx tsx --conditions=react-server bench/sse-latency.ts   (DATABASE_URL set: PostgreSQL too)
 */
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { taskEventStream } from "@/lib/events/stream";
import { AttemptEventWriter } from "@/lib/events/writer";
import { openBenchDb, setProcessDb } from "./lib/db";
import { benchDbKinds, loadNote, median, ms, nowMs, quantile } from "./lib/stats";

const CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 100);
const EVENTS = Number(process.env.BENCH_SSE_EVENTS ?? 200);
const INTERVAL_MS = 50;
const clientsScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "lib", "sse-clients.mjs");

function serve(taskId: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const ctl = new AbortController();
    req.on("close", () => ctl.abort());
    const stream = await taskEventStream({ taskId, afterId: 0, signal: ctl.signal });
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    const reader = stream.getReader();
    ctl.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined));
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        res.write(value);
      }
    } catch {
      // client went away
    }
    res.end();
  });
  server.keepAliveTimeout = 0;
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}/events`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    }),
  );
}

async function benchOn(kind: "pglite" | "postgres", clients: number, events: number): Promise<number[]> {
  const handle = await openBenchDb(kind);
  setProcessDb(handle);
  const [user] = await handle.db.insert(users).values({ name: "Bench" }).returning();
  const { task, attempts } = await insertTaskWithJobs(handle.db, {
    ownerId: user.id,
    repoFullName: "acme/widgets",
    baseBranch: "main",
    mode: "code",
    title: "sse",
    prompt: "sse",
    attemptsCount: 1,
  });
  const writer = await AttemptEventWriter.open(handle, { taskId: task.id, attemptId: attempts[0].id, turn: 0 });
  const server = await serve(task.id);
  const child = spawn(process.execPath, [clientsScript, server.url, String(clients), String(events)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  try {
    const ready = await lines.next();
    if (ready.value !== "ready") throw new Error(`clients did not connect: ${ready.value}`);

    const appendMs: number[] = [];
    const t0 = performance.now();
    const appends: Promise<void>[] = [];
    for (let i = 0; i < events; i++) {
      const due = t0 + i * INTERVAL_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const start = performance.now();
      appends.push(
        writer
          .append("plan", { explanation: `bench event ${i}`, plan: [], sentAt: nowMs() })
          .then(() => void appendMs.push(performance.now() - start)),
      );
    }
    await Promise.all(appends);
    const sendSeconds = (performance.now() - t0) / 1000;
    const result = JSON.parse((await lines.next()).value as string) as { latencies: number[]; finished: number; errors: number; delivered: number };
    const lat = result.latencies;
    console.log(`sse latency on ${kind}: ${clients} HTTP SSE client(s) on one task, ${events} events at ~${(events / sendSeconds).toFixed(0)}/s; ${loadNote()}`);
    console.log(`  deliveries ${result.delivered} of ${clients * events} (clients complete ${result.finished}/${clients}, errors ${result.errors})`);
    console.log(`  append -> client: median ${ms(median(lat))}  p90 ${ms(quantile(lat, 0.9))}  p99 ${ms(quantile(lat, 0.99))}  max ${ms(Math.max(...lat))}`);
    console.log(`  append itself (insert + NOTIFY): median ${ms(median(appendMs))}  p99 ${ms(quantile(appendMs, 0.99))}`);
    if (clients === CLIENTS) {
      const p99 = quantile(lat, 0.99);
      console.log(`  goal: p99 < 100 ms -> ${ms(p99)} ${p99 < 100 ? "(met)" : "(NOT met)"}`);
    }
    return lat;
  } finally {
    child.kill();
    await server.close();
    await handle.cleanup();
  }
}

for (const kind of benchDbKinds) {
  await benchOn(kind, CLIENTS, EVENTS);
  // Reference: the same path with one client, to tell the fan-out cost from the append -> notify -> read path.
  await benchOn(kind, 1, 100);
}
