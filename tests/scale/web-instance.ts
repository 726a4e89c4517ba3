// A web instance for tests/scale: what GET /api/tasks/<id>/events serves (lib/events/stream.ts: one feed per task
// per process, woken by PostgreSQL LISTEN/NOTIFY), over node:http, against DATABASE_URL, without Next.js around it.
// Prints `listening <port>` once it accepts connections.
import http from "node:http";
import { taskEventStream } from "@/lib/events/stream";

const server = http.createServer(async (req, res) => {
  const m = /^\/events\/([0-9a-f-]{36})$/.exec(req.url ?? "");
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  const controller = new AbortController();
  req.on("close", () => controller.abort());
  const stream = await taskEventStream({ taskId: m[1], afterId: 0, signal: controller.signal });
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  const reader = stream.getReader();
  controller.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // the viewer went away
  }
  res.end();
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${(server.address() as { port: number }).port}`));
process.on("SIGTERM", () => process.exit(0));
