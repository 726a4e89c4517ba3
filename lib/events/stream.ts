import "server-only";
import { getDbHandle } from "@/db";
import { listTaskEventsAfter, type TaskEventRow } from "@/db/queries/events";
import { publicMessage } from "@/lib/public-message";
import { joinTaskFeed } from "./feed";

const HEARTBEAT_MS = 15_000;

/** An attempt's error as a person sees it: whatever it was built from, no host path or SQL. */
function shown(e: TaskEventRow): TaskEventRow["payload"] {
  const message = e.payload.message;
  return e.type === "error" && typeof message === "string" ? { ...e.payload, message: publicMessage(message) } : e.payload;
}

function toSse(rows: TaskEventRow[]): string {
  let out = "";
  for (const e of rows) {
    const data = { id: e.id, attemptId: e.attemptId, seq: e.seq, turn: e.turn, type: e.type, payload: shown(e), createdAt: e.createdAt };
    out += `id: ${e.id}\ndata: ${JSON.stringify(data)}\n\n`;
  }
  return out;
}

/**
 * The task's events as server-sent events, from after `afterId` (the browser's Last-Event-ID on reconnect), then
 * live. Each event's SSE id is its task_events id, which increases strictly within a task, so a resumed stream has
 * no gap and no repeat.
 */
export async function taskEventStream({ taskId, afterId, signal }: { taskId: string; afterId: number; signal: AbortSignal }) {
  const handle = await getDbHandle();
  const encoder = new TextEncoder();
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
      const write = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
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
      write(`retry: 1000\n\n`);
      heartbeat = setInterval(() => write(`: keep-alive\n\n`), HEARTBEAT_MS);
      const left = await joinTaskFeed(handle, taskId, afterId, (rows) => write(toSse(rows)));
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
  const encoder = new TextEncoder();
  let cursor = afterId;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`retry: 1000\n\n`));
      }
      const rows = await listTaskEventsAfter(handle.db, taskId, cursor, 500);
      if (rows.length) {
        cursor = rows[rows.length - 1].id;
        controller.enqueue(encoder.encode(toSse(rows)));
      }
      if (rows.length < 500) controller.close();
    },
  });
}
