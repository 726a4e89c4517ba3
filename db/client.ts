import "server-only";
import { logError } from "@/lib/log";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BroadcastChannel, type MessagePort } from "node:worker_threads";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { pgliteOptions } from "./pglite-options";
import { pgliteClientOverPort, startPgliteThread, type PgliteThreadClient } from "./pglite-thread";
import * as schema from "./schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type Notification = { channel: string; payload: string };

/**
 * The other threads of this process that share an embedded database (the web's and the embedded runner's): what one
 * posts on a topic reaches the others' `on` (a BroadcastChannel: structured clones, in the order sent).
 */
export type Peers = {
  post(topic: string, data: unknown): void;
  on(topic: string, fn: (data: unknown) => void): () => void;
  /**
   * Whether this thread's event writers hand the rows they wrote to the task's readers (lib/events/bus.ts). Only one
   * thread of a process may: hand-offs from two would not arrive in the order the rows were written. The web's
   * thread stops once it has linked a runner's thread to the database.
   */
  handsOffRows(): boolean;
};

/** What another thread needs to reach this process's embedded database (`openPgliteOverPort` there). */
export type ThreadLink = { port: MessagePort; channel: string };

/** A database plus the two things drizzle does not cover: LISTEN/NOTIFY and closing. */
export type DbHandle = {
  db: Db;
  kind: "pglite" | "postgres";
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
  /** PGlite: this process's other threads on the same database. */
  peers?: Peers;
  /** PGlite, the thread that opened it: a link for another thread of the process to open it through. */
  linkThread?(): Promise<ThreadLink>;
};

const migrationsFolder = path.join(process.cwd(), "db", "migrations");

export class DatabaseLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database in ${dir} is already open in process ${pid}. ` +
        `PGlite allows one process only: stop that process, or set DATABASE_URL to use a PostgreSQL server.`,
    );
    this.name = "DatabaseLockedError";
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** One process owns a PGlite folder: a lock file holding its pid, taken over only when that pid is gone. */
function takeLock(dir: string): () => void {
  const lockPath = path.join(dir, "patchbay.lock");
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      const release = () => {
        try {
          if (fs.readFileSync(lockPath, "utf8") === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
      process.once("exit", release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number.parseInt(fs.readFileSync(lockPath, "utf8"), 10);
      if (holder === process.pid) return () => {};
      if (Number.isFinite(holder) && pidAlive(holder)) throw new DatabaseLockedError(dir, holder);
      fs.rmSync(lockPath, { force: true }); // stale lock of a process that died
    }
  }
  throw new Error(`Could not take the database lock in ${dir}`);
}

export async function openPglite(dataDir: string | "memory"): Promise<DbHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  let release = () => {};
  if (dataDir !== "memory") {
    fs.mkdirSync(dataDir, { recursive: true });
    release = takeLock(dataDir);
  }
  try {
    const pgdata = dataDir === "memory" ? null : path.join(dataDir, "pgdata");
    const { options, fresh, template } = await pgliteOptions(PGlite, pgdata);
    // PostgreSQL runs on a thread of its own (db/pglite-thread.ts): its queries no longer take the web's one thread.
    const open = () => startPgliteThread(pgdata, options, template);
    let client = await open();
    const asPglite = (c: PgliteThreadClient) => drizzle(c as unknown as InstanceType<typeof PGlite>, { schema });
    await migrate(asPglite(client), { migrationsFolder });
    if (pgdata !== null && fresh) {
      // A cluster made just now (by initdb, or from the template) and migrated: what that left in PostgreSQL's heap,
      // WASM never gives back, so the process goes on with a fresh instance (a new thread) on the finished cluster.
      await client.close();
      client = await open();
    }
    const channel = `patchbay-db-${randomUUID()}`;
    let linked = false;
    const peers = peersOn(channel, () => !linked);
    return {
      ...pgliteHandle(asPglite(client), client, peers),
      async linkThread() {
        linked = true;
        return { port: await client.connectPort(), channel };
      },
      async close() {
        peers.close();
        await client.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** Peers over a BroadcastChannel of this name; it never keeps the process alive by itself. */
function peersOn(name: string, handsOffRows: () => boolean): Peers & { close(): void } {
  const bc = new BroadcastChannel(name);
  bc.unref();
  const topics = new Map<string, Set<(data: unknown) => void>>();
  bc.onmessage = (e) => {
    const { topic, data } = (e as { data: { topic: string; data: unknown } }).data;
    for (const fn of topics.get(topic) ?? []) fn(data);
  };
  return {
    post: (topic, data) => bc.postMessage({ topic, data }),
    on(topic, fn) {
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      set.add(fn);
      return () => void set.delete(fn);
    },
    handsOffRows,
    close: () => bc.close(),
  };
}

/** A PGlite handle's LISTEN/NOTIFY, shared with the process's other threads on the database through `peers`. */
function pgliteHandle(db: unknown, client: PgliteThreadClient, peers: Peers): Pick<DbHandle, "db" | "kind" | "listen" | "notify" | "peers"> {
  peers.on("notify", (data) => {
    const { channel, payload } = data as Notification;
    client.notifyHere(channel, payload);
  });
  return {
    db: db as Db,
    kind: "pglite",
    peers,
    async listen(channel, onPayload) {
      const unsub = await client.listen(channel, onPayload);
      return async () => unsub();
    },
    // One process owns the database, so its listeners are all in its threads: no pg_notify query (NOTIFY written
    // in SQL, inside a transaction, still arrives through LISTEN).
    async notify(channel, payload) {
      client.notifyHere(channel, payload);
      peers.post("notify", { channel, payload } satisfies Notification);
    },
  };
}

/**
 * The embedded database from another thread of the process that opened it (the embedded runner's): its queries
 * go to the same PGlite thread through the link's port. Closing it leaves the database open.
 */
export async function openPgliteOverPort(link: ThreadLink): Promise<DbHandle> {
  const { drizzle } = await import("drizzle-orm/pglite");
  const client = pgliteClientOverPort(link.port);
  const peers = peersOn(link.channel, () => true);
  return {
    ...pgliteHandle(drizzle(client as unknown as import("@electric-sql/pglite").PGlite, { schema }), client, peers),
    async close() {
      peers.close();
      await client.close();
    },
  };
}

export async function openPostgres(url: string, opts: { migrate?: boolean; max?: number } = {}): Promise<DbHandle> {
  const pg = (await import("pg")).default;
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  pool.on("error", (err) => logError("postgres pool error", err));
  const db = drizzle(pool, { schema });
  if (opts.migrate) {
    const { migrate } = await import("drizzle-orm/node-postgres/migrator");
    await migrate(db, { migrationsFolder });
  }
  // LISTEN needs one connection that stays open; it is shared by every subscriber of this process.
  let listener: import("pg").Client | undefined;
  const subscribers = new Map<string, Set<(payload: string) => void>>();
  async function listenerClient() {
    if (listener) return listener;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on("notification", (msg) => {
      for (const fn of subscribers.get(msg.channel) ?? []) fn(msg.payload ?? "");
    });
    client.on("error", (err) => logError("postgres listener error", err));
    listener = client;
    return client;
  }
  return {
    db: db as unknown as Db,
    kind: "postgres",
    async listen(channel, onPayload) {
      const client = await listenerClient();
      let set = subscribers.get(channel);
      if (!set) {
        set = new Set();
        subscribers.set(channel, set);
        await client.query(`LISTEN "${channel.replace(/"/g, "")}"`);
      }
      set.add(onPayload);
      return async () => {
        set.delete(onPayload);
      };
    },
    async notify(channel, payload) {
      await pool.query("select pg_notify($1, $2)", [channel, payload]);
    },
    async close() {
      await listener?.end();
      await pool.end();
    },
  };
}
