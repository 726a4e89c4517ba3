import "server-only";
import path from "node:path";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { PGliteOptions } from "@electric-sql/pglite";

/**
 * The embedded database on a thread of its own (db/pglite-worker.mjs runs PGlite there). This is the calling side:
 * the subset of PGlite's client that drizzle's PGlite driver uses (`query`, `transaction` with `query` inside), plus
 * `listen` and `close`. Queries keep PGlite's order and exclusivity: PGlite serialises them on its thread, and an
 * open transaction holds it there until this side ends it. Another thread of the process (the embedded runner's,
 * lib/runner/runner-thread.ts) talks to the same PGlite through a port of its own (`connectPort`, then
 * `pgliteClientOverPort` over there).
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
  /** A port for another thread of this process to reach the same database through (see pgliteClientOverPort). */
  connectPort(): Promise<MessagePort>;
  close(): Promise<void>;
};

/** Where calls go and answers come from: the database's Worker itself, or a port connected to it. */
type Endpoint = {
  postMessage(message: unknown, transfer?: MessagePort[]): void;
  on(event: "message", fn: (m: Reply) => void): void;
  ref(): void;
  unref(): void;
};

function clientOver(endpoint: Endpoint, opts: { onDown(fail: (err: Error) => void): void; terminate(): Promise<void>; closesDatabase: boolean }) {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let nextId = 1;
  let stopped: Error | null = null;
  // The thread keeps the process alive only while a call waits on it (as PGlite in this thread did: not at all).
  endpoint.unref();
  endpoint.on("message", (m) => {
    if ("ready" in m) return;
    if ("notify" in m) {
      for (const fn of listeners.get(m.notify) ?? []) fn(m.payload);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) endpoint.unref();
    if (m.error) p.reject(rebuildError(m.error));
    else p.resolve(m.result);
  });
  opts.onDown((err) => {
    stopped ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });

  function call<T>(message: Record<string, unknown>, transfer?: MessagePort[]): Promise<T> {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      endpoint.ref();
      endpoint.postMessage({ ...message, id }, transfer);
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

  const client: PgliteThreadClient = {
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
    async connectPort() {
      const { port1, port2 } = new MessageChannel();
      await call({ op: "connect", port: port2 }, [port2]);
      return port1;
    },
    async close() {
      if (!stopped && opts.closesDatabase) await call({ op: "close" }).catch(() => undefined);
      stopped ??= new Error("the database client is closed");
      await opts.terminate();
    },
  };
  return client;
}

export async function startPgliteThread(pgdata: string | null, options: PGliteOptions, template?: Buffer): Promise<PgliteThreadClient> {
  const worker = new Worker(workerPath, { workerData: { pgdata, options, template: template ? new Uint8Array(template) : undefined } });
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: Reply) => {
      if (!("ready" in m)) return;
      if (m.ready) resolve();
      else reject(rebuildError(m.error ?? {}));
    });
    worker.on("error", reject);
    worker.on("exit", (code) => reject(new Error(`the embedded database's thread stopped (exit ${code})`)));
  });
  const client = clientOver(worker, {
    onDown(fail) {
      worker.on("error", fail);
      worker.on("exit", (code) => fail(new Error(`the embedded database's thread stopped (exit ${code})`)));
    },
    terminate: async () => void (await worker.terminate()),
    closesDatabase: true,
  });
  worker.ref();
  await ready.finally(() => worker.unref());
  return client;
}

/** The client of a thread that got a port from `connectPort`: the same calls; closing it leaves the database open. */
export function pgliteClientOverPort(port: MessagePort): PgliteThreadClient {
  return clientOver(port, {
    onDown(fail) {
      port.on("close", () => fail(new Error("the embedded database's thread is gone")));
    },
    terminate: async () => port.close(),
    closesDatabase: false,
  });
}
