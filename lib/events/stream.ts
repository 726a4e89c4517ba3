import "server-only";
import { getDbHandle } from "@/db";
import { listTaskEventsAfter } from "@/db/queries/events";
import { subscribeTaskEvents } from "./bus";

const HEARTBEAT_MS = 15_000;
const PAGE = 500;

/**
 * The task's events as server-sent events, from after `afterId` (the browser's Last-Event-ID on reconnect), then
 * live. Each event's SSE id is its task_events id, which increases strictly within a task, so a resumed stream has
 * no gap and no repeat. Subscribes before the first read so nothing committed in between is missed.
 */
export async function taskEventStream({ taskId, afterId, signal }: { taskId: string; afterId: number; signal: AbortSignal }) {
  const handle = await getDbHandle();
  const encoder = new TextEncoder();
  let lastId = afterId;
  let pumping = false;
  let again = false;
  let closed = false;
  let unsubscribe: () => void = () => {};
  let heartbeat: NodeJS.Timeout | undefined;

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      };
      const pump = async () => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            for (;;) {
              if (closed) return;
              const rows = await listTaskEventsAfter(handle.db, taskId, lastId, PAGE);
              if (rows.length === 0) break;
              let chunk = "";
              for (const e of rows) {
                const data = { id: e.id, attemptId: e.attemptId, seq: e.seq, turn: e.turn, type: e.type, payload: e.payload, createdAt: e.createdAt };
                chunk += `id: ${e.id}\ndata: ${JSON.stringify(data)}\n\n`;
                lastId = e.id;
              }
              controller.enqueue(encoder.encode(chunk));
              if (rows.length < PAGE) break;
            }
          } while (again);
        } catch (err) {
          console.error("event stream read failed:", (err as Error).message);
          close();
        } finally {
          pumping = false;
        }
      };
      signal.addEventListener("abort", close);
      unsubscribe = await subscribeTaskEvents(handle, taskId, () => void pump());
      controller.enqueue(encoder.encode(`retry: 1000\n\n`));
      heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(`: keep-alive\n\n`));
      }, HEARTBEAT_MS);
      await pump();
    },
    cancel() {
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
    },
  });
}
