import "server-only";
import { getDbHandle, type DbHandle } from "@/db";
import { BOARD_CHANNEL, boardPayload } from "./board-channel";

/**
 * A person's board, live: one server-sent event whenever one of their tasks changes (created, started, finished,
 * stopped, archived, deleted, a pull request opened…), so every tab and device shows it within a second without
 * polling. The events say which tasks changed, never what: the page then reads the board as it always does, through
 * the same ownership checks. Fan-out is one LISTEN per process (PostgreSQL NOTIFY reaches every web instance).
 */

type Registry = { subscribers: Map<string, Set<(taskId: string) => void>>; ready: Promise<void> };
const globalForBoard = globalThis as unknown as { __patchbayBoard?: Map<DbHandle, Registry> };

function registry(handle: DbHandle): Registry {
  globalForBoard.__patchbayBoard ??= new Map();
  let reg = globalForBoard.__patchbayBoard.get(handle);
  if (!reg) {
    const subscribers = new Map<string, Set<(taskId: string) => void>>();
    const ready = handle
      .listen(BOARD_CHANNEL, (payload) => {
        const at = payload.indexOf(":");
        if (at > 0) wake(subscribers, payload.slice(0, at), payload.slice(at + 1));
      })
      .then(() => undefined);
    reg = { subscribers, ready };
    globalForBoard.__patchbayBoard.set(handle, reg);
  }
  return reg;
}

function wake(subscribers: Registry["subscribers"], ownerId: string, taskId: string) {
  for (const fn of subscribers.get(ownerId) ?? []) fn(taskId);
}

/**
 * Tells the person's open boards that this task changed (for changes that write no status of an attempt). On PGlite
 * the handle delivers it in this process without a query (db/client.ts).
 */
export async function publishBoardChange(handle: DbHandle, ownerId: string, taskId: string): Promise<void> {
  await handle.notify(BOARD_CHANNEL, boardPayload(ownerId, taskId));
}

/** Calls `onChange(taskId)` for each change of one of the person's tasks. Resolves once listening. */
export async function subscribeBoard(handle: DbHandle, ownerId: string, onChange: (taskId: string) => void): Promise<() => void> {
  const reg = registry(handle);
  await reg.ready;
  let set = reg.subscribers.get(ownerId);
  if (!set) {
    set = new Set();
    reg.subscribers.set(ownerId, set);
  }
  set.add(onChange);
  return () => {
    set.delete(onChange);
    if (set.size === 0) reg.subscribers.delete(ownerId);
  };
}

const encoder = new TextEncoder();
const HEARTBEAT_MS = 15_000;
/** Changes that arrive together (a Best-of-N task's attempts starting at once) go out as one event. */
const COALESCE_MS = 50;

/**
 * The stream: `event: ready` once listening (a reconnecting client reads the board again, since it may have missed
 * changes meanwhile), then `event: tasks` with `{"taskIds": [...]}` as tasks change, and a comment as heartbeat.
 */
export async function boardEventStream({ userId, signal }: { userId: string; signal: AbortSignal }) {
  const handle = await getDbHandle();
  let closed = false;
  let leave: () => void = () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const pending = new Set<string>();
  const stop = () => {
    if (closed) return;
    closed = true;
    leave();
    clearInterval(heartbeat);
    clearTimeout(flushTimer);
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
      const flush = () => {
        flushTimer = undefined;
        if (pending.size === 0) return;
        const taskIds = [...pending];
        pending.clear();
        write(`event: tasks\ndata: ${JSON.stringify({ taskIds })}\n\n`);
      };
      signal.addEventListener("abort", () => {
        stop();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
      write("retry: 1000\n\n");
      heartbeat = setInterval(() => write(": keep-alive\n\n"), HEARTBEAT_MS);
      const left = await subscribeBoard(handle, userId, (taskId) => {
        pending.add(taskId);
        flushTimer ??= setTimeout(flush, COALESCE_MS);
      });
      if (closed) left();
      else leave = left;
      write("event: ready\ndata: {}\n\n");
    },
    cancel() {
      stop();
    },
  });
}
