// SSE viewers for bench/sse-latency.ts, in their own process so that reading N streams does not load the server's
// process. node:http (lighter than fetch) and one connection per viewer, each with the session cookie, as N browser
// tabs would. argv: url, viewers; env SSE_COOKIE.
// stdout, one JSON line each: {connected...} once every viewer has its first bytes (or after 60 s), then, after
// "stop" on stdin, {latencies...}: for each event created after the connected line, its arrival time minus its row's
// createdAt (the insert), in ms.
import http from "node:http";
import readline from "node:readline";

const [url, viewersArg] = process.argv.slice(2);
const VIEWERS = Number(viewersArg);
const cookie = process.env.SSE_COOKIE ?? "";
const now = () => performance.timeOrigin + performance.now();
const CREATED = /"createdAt":"([^"]+)"/;

const latencies = [];
const connectMs = [];
const sockets = [];
let measureFrom = Number.POSITIVE_INFINITY;
let errors = 0;
let events = 0;
const t0 = now();

function viewer() {
  return new Promise((resolve) => {
    const started = now();
    const req = http.get(url, { agent: false, headers: { accept: "text/event-stream", cookie } }, (res) => {
      if (res.statusCode !== 200) {
        errors++;
        process.stderr.write(`sse viewer: HTTP ${res.statusCode}\n`);
        res.resume();
        resolve();
        return;
      }
      res.setEncoding("utf8");
      let buffer = "";
      let first = true;
      res.on("data", (chunk) => {
        const at = now();
        if (first) {
          first = false;
          connectMs.push(at - started);
          resolve();
        }
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const m = CREATED.exec(block);
          if (!m) continue;
          events++;
          const created = Date.parse(m[1]);
          if (created >= measureFrom) latencies.push(at - created);
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", (err) => {
      errors++;
      process.stderr.write(`sse viewer failed: ${err.message}\n`);
      resolve();
    });
    sockets.push(req);
  });
}

// At most CONNECTING connects in flight: a thousand SYNs at once overflow the server's listen backlog (511, which
// next start does not let one change), and the figure would then be the kernel's retry timers, not the app.
const CONNECTING = 100;
let next = 0;
const all = Promise.all(
  Array.from({ length: Math.min(CONNECTING, VIEWERS) }, async () => {
    while (next < VIEWERS) {
      next++;
      await viewer();
    }
  }),
);
await Promise.race([all, new Promise((r) => setTimeout(r, 60_000))]);
measureFrom = now();
process.stdout.write(JSON.stringify({ connected: connectMs.length, errors, allMs: measureFrom - t0, connectMs }) + "\n");

for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim() === "stop") break;
}
for (const req of sockets) req.destroy();
// A pipe's writes are asynchronous: exit once the (large) line is out.
process.stdout.write(JSON.stringify({ latencies: latencies.map((l) => Math.round(l * 10) / 10), events, errors }) + "\n", () => process.exit(0));
