import "server-only";
import type { DbHandle } from "@/db";
import type { TaskEventRow } from "@/db/queries/events";
import { logError } from "@/lib/log";

/**
 * Fan-out of "task X has new events". The notification carries only the task id; readers fetch the rows.
 * With PostgreSQL this is LISTEN/NOTIFY, so an event appended by a runner anywhere reaches every web instance;
 * PGlite's handle delivers it to this process's listeners without a query (db/client.ts), and a writer there hands
 * over the rows it wrote (every writer of a PGlite database is in this process, its statements run one at a time and
 * their answers come back in order), so that the task's reader need not read them again. With the embedded runner
 * on a thread of its own (lib/runner/runner-thread.ts), its writers hand their rows to the web's thread through the
 * handle's peers; the web's own writes (a queued attempt stopped) then only wake the readers, and while one is being
 * written, rows handed over for that task are not taken (the reader reads instead: a row written here could
 * otherwise land behind rows that were written after it and handed over first).
 */
const CHANNEL = "patchbay_events";

/** What a subscriber is woken with: the rows just written, in id order, when the writer had them (else unknown). */
export type Wake = (rows?: readonly TaskEventRow[]) => void;

type Registry = { handle: DbHandle; subscribers: Map<string, Set<Wake>>; ready: Promise<void> };
const globalForBus = globalThis as unknown as { __patchbayBus?: Map<DbHandle, Registry> };

type HandOff = { taskId: string; rows: readonly TaskEventRow[] };
const ROWS_TOPIC = "task-event-rows";

/** Tasks whose events this thread is writing right now (counts), by handle. */
const writingHere = new WeakMap<DbHandle, Map<string, number>>();

function registry(handle: DbHandle): Registry {
  globalForBus.__patchbayBus ??= new Map();
  let reg = globalForBus.__patchbayBus.get(handle);
  if (!reg) {
    handle.peers?.on(ROWS_TOPIC, (data) => {
      const { taskId, rows } = data as HandOff;
      if (reg) wake(reg, taskId, writingHere.get(handle)?.get(taskId) ? undefined : rows);
    });
    const subscribers = new Map<string, Set<Wake>>();
    const ready = handle
      .listen(CHANNEL, (taskId) => {
        if (reg) wake(reg, taskId);
      })
      .then(() => undefined);
    reg = { handle, subscribers, ready };
    globalForBus.__patchbayBus.set(handle, reg);
  }
  return reg;
}

function wake(reg: Registry, taskId: string, rows?: readonly TaskEventRow[]) {
  for (const fn of reg.subscribers.get(taskId) ?? []) fn(rows);
}

/** Tells the task's readers that events were written; `rows`: those rows, when the database returned them (PGlite). */
export async function publishTaskEvents(handle: DbHandle, taskId: string, rows?: readonly TaskEventRow[] | null): Promise<void> {
  if (rows && handle.kind === "pglite" && handle.peers?.handsOffRows() !== false) {
    const reg = globalForBus.__patchbayBus?.get(handle);
    // Inside the writer's flush: a reader's failure is the reader's, not a failed write of the events.
    if (reg) {
      try {
        wake(reg, taskId, rows);
      } catch (err) {
        logError("task feed update failed", err);
      }
    }
    handle.peers?.post(ROWS_TOPIC, { taskId, rows } satisfies HandOff);
    return;
  }
  await handle.notify(CHANNEL, taskId);
}

/** Marks the task's events as being written by this thread until the returned function is called (see above). */
export function writingTaskEvents(handle: DbHandle, taskId: string): () => void {
  let tasks = writingHere.get(handle);
  if (!tasks) writingHere.set(handle, (tasks = new Map()));
  tasks.set(taskId, (tasks.get(taskId) ?? 0) + 1);
  return () => {
    const n = (tasks.get(taskId) ?? 1) - 1;
    if (n > 0) tasks.set(taskId, n);
    else tasks.delete(taskId);
  };
}

/** Calls `onWake` whenever new events of the task may be there. Resolves once listening. */
export async function subscribeTaskEvents(handle: DbHandle, taskId: string, onWake: Wake): Promise<() => void> {
  const reg = registry(handle);
  await reg.ready;
  let set = reg.subscribers.get(taskId);
  if (!set) {
    set = new Set();
    reg.subscribers.set(taskId, set);
  }
  set.add(onWake);
  return () => {
    set.delete(onWake);
    if (set.size === 0) reg.subscribers.delete(taskId);
  };
}
