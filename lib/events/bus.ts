import "server-only";
import type { DbHandle } from "@/db";

/**
 * Fan-out of "task X has new events". The notification carries only the task id; readers fetch the rows.
 * With PostgreSQL this is LISTEN/NOTIFY, so an event appended by a runner anywhere reaches every web instance;
 * PGlite's handle delivers it to this process's listeners without a query (db/client.ts).
 */
const CHANNEL = "patchbay_events";

type Registry = { handle: DbHandle; subscribers: Map<string, Set<() => void>>; ready: Promise<void> };
const globalForBus = globalThis as unknown as { __patchbayBus?: Map<DbHandle, Registry> };

function registry(handle: DbHandle): Registry {
  globalForBus.__patchbayBus ??= new Map();
  let reg = globalForBus.__patchbayBus.get(handle);
  if (!reg) {
    const subscribers = new Map<string, Set<() => void>>();
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

function wake(reg: Registry, taskId: string) {
  for (const fn of reg.subscribers.get(taskId) ?? []) fn();
}

export async function publishTaskEvents(handle: DbHandle, taskId: string): Promise<void> {
  await handle.notify(CHANNEL, taskId);
}

/** Calls `onWake` whenever new events of the task may be there. Resolves once listening. */
export async function subscribeTaskEvents(handle: DbHandle, taskId: string, onWake: () => void): Promise<() => void> {
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
