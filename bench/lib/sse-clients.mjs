// SSE clients for bench/sse-latency.ts, in their own process so that parsing 100 streams does not slow the server.
// argv: url, clients, expected events. Prints "ready" once every client is connected, then one JSON line of results.
const [url, clientsArg, expectedArg] = process.argv.slice(2);
const CLIENTS = Number(clientsArg);
const EXPECTED = Number(expectedArg);
const now = () => performance.timeOrigin + performance.now();

const latencies = [];
let connected = 0;
let finished = 0;
let errors = 0;

async function client() {
  const res = await fetch(url, { headers: { Accept: "text/event-stream" } });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let got = 0;
  let first = true;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const at = now();
    buffer += decoder.decode(value, { stream: true });
    if (first) {
      first = false;
      if (++connected === CLIENTS) process.stdout.write("ready\n");
    }
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!data) continue;
      const sentAt = JSON.parse(data).payload?.sentAt;
      if (typeof sentAt !== "number") continue;
      latencies.push(at - sentAt);
      got++;
    }
    if (got >= EXPECTED) break;
  }
  await reader.cancel().catch(() => undefined);
  return got;
}

const counts = await Promise.all(
  Array.from({ length: CLIENTS }, () =>
    client().catch((err) => {
      errors++;
      process.stderr.write(`sse client failed: ${err.message}\n`);
      return 0;
    }),
  ),
);
finished = counts.filter((n) => n >= EXPECTED).length;
process.stdout.write(JSON.stringify({ latencies, finished, errors, delivered: counts.reduce((a, b) => a + b, 0) }) + "\n");
