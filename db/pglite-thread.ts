import "server-only";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { PGliteOptions } from "@electric-sql/pglite";

/**
 * The embedded database on a thread of its own (db/pglite-worker.mjs runs PGlite there). This is the calling side:
 * the subset of PGlite's client that drizzle's PGlite driver uses (`query`, `transaction` with `query` inside), plus
 * `listen` and `close`. Queries keep PGlite's order and exclusivity: PGlite serialises them on its thread, and an
 * open transaction holds it there until this side ends it.
 */

type QueryConfig = { rowMode?: "array" | "object"; parsers?: Record<number, unknown> };
export type ThreadResult = { rows: unknown[]; fields: { name: string; dataTypeID: number }[]; affectedRows?: number };
type Reply = { id: number; result?: unknown; error?: Record<string, unknown> } | { notify: string; payload: string } | { ready: boolean; error?: Record<string, unknown> };

const workerPath = path.join(process.cwd(), "db", "pglite-worker.mjs");

/** The worker's copy of a database error, as an Error carrying the same fields (code, severity, table, ...). */
function rebuildError(fields: Record<string, unknown>): Error {
  const err = new Error(String(fields.message ?? "database error"));
  Object.assign(err, fields);
  return err;
}

type Queryable = { query(sql: string, params?: unknown[], config?: QueryConfig): Promise<ThreadResult> };

export type PgliteThreadClient = Queryable & {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => void>;
  /** Tells this client's listeners of `channel` without a query (PGlite is one process's database). */
  notifyHere(channel: string, payload: string): void;
  close(): Promise<void>;
};

export async function startPgliteThread(pgdata: string | null, options: PGliteOptions, template?: Buffer): Promise<PgliteThreadClient> {
  const worker = new Worker(workerPath, { workerData: { pgdata, options, template: template ? new Uint8Array(template) : undefined } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let nextId = 1;
  let stopped: Error | null = null;
  // The thread keeps the process alive only while a call waits on it (as PGlite in this thread did: not at all).
  worker.unref();

  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: Reply) => {
      if ("ready" in m) {
        if (m.ready) resolve();
        else reject(rebuildError(m.error ?? {}));
        return;
      }
      if ("notify" in m) {
        for (const fn of listeners.get(m.notify) ?? []) fn(m.payload);
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) worker.unref();
      if (m.error) p.reject(rebuildError(m.error));
      else p.resolve(m.result);
    });
    const down = (err: Error) => {
      stopped = err;
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    worker.on("error", down);
    worker.on("exit", (code) => down(new Error(`the embedded database's thread stopped (exit ${code})`)));
  });
  worker.ref();
  await ready.finally(() => worker.unref());

  function call<T>(message: Record<string, unknown>): Promise<T> {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ ...message, id });
    });
  }

  const queryOn = (tx: number | undefined): Queryable["query"] => (sql, params = [], config = {}) =>
    call<ThreadResult>({
      op: "query",
      tx,
      sql,
      params,
      rowMode: config.rowMode ?? "object",
      // drizzle only ever passes "give me the text" parsers (dates, intervals): the worker applies those by type id.
      rawTypes: Object.keys(config.parsers ?? {}).map(Number),
    });

  return {
    query: queryOn(undefined),
    async transaction(fn) {
      const tx = await call<number>({ op: "begin" });
      let result;
      try {
        result = await fn({ query: queryOn(tx) });
      } catch (err) {
        await call({ op: "end", tx, commit: false }).catch(() => undefined);
        throw err;
      }
      await call({ op: "end", tx, commit: true });
      return result;
    },
    async listen(channel, onPayload) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        await call({ op: "listen", channel });
      }
      set.add(onPayload);
      return () => void set.delete(onPayload);
    },
    notifyHere(channel, payload) {
      // After the caller's turn, as a notification arrives.
      setImmediate(() => {
        for (const fn of listeners.get(channel) ?? []) fn(payload);
      });
    },
    async close() {
      if (!stopped) await call({ op: "close" }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
