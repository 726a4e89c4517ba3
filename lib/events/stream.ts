import "server-only";
import { getDbHandle } from "@/db";
import { listTaskEventsAfter } from "@/db/queries/events";
import { joinTaskFeed } from "./feed";
import { encodeEvent, encodeText, joinEncoded } from "./sse";

const HEARTBEAT_MS = 15_000;
const RETRY = encodeText(`retry: 1000\n\n`);
const KEEP_ALIVE = encodeText(`: keep-alive\n\n`);

/**
 * The task's events as server-sent events, from after `afterId` (the browser's Last-Event-ID on reconnect), then
 * live. Each event's SSE id is its task_events id, which increases strictly within a task, so a resumed stream has
 * no gap and no repeat.
 */
export async function taskEventStream({ taskId, afterId, signal }: { taskId: string; afterId: number; signal: AbortSignal }) {
  const handle = await getDbHandle();
  let closed = false;
  let leave: () => void = () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    if (closed) return;
    closed = true;
    leave();
    clearInterval(heartbeat);
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (bytes: Uint8Array) => {
        if (closed) return;
        try {
          controller.enqueue(bytes);
        } catch {
          stop();
        }
      };
      signal.addEventListener("abort", () => {
        stop();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
      write(RETRY);
      heartbeat = setInterval(() => write(KEEP_ALIVE), HEARTBEAT_MS);
      const left = await joinTaskFeed(handle, taskId, afterId, write);
      if (closed) left();
      else leave = left;
    },
    cancel() {
      stop();
    },
  });
}

/**
 * The task's events recorded so far (after `afterId`) as server-sent events, then the end of the stream: for a
 * client that wants the log once rather than live (`follow=0`). Read page by page as the client takes them.
 */
export async function taskEventBacklog({ taskId, afterId }: { taskId: string; afterId: number }) {
  const handle = await getDbHandle();
  let cursor = afterId;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(RETRY);
      }
      const rows = await listTaskEventsAfter(handle.db, taskId, cursor, 500);
      if (rows.length) {
        cursor = rows[rows.length - 1].id;
        controller.enqueue(joinEncoded(rows.map(encodeEvent)));
      }
      if (rows.length < 500) controller.close();
    },
  });
}
