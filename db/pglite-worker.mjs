// The embedded database's own thread (worker_threads): PGlite runs PostgreSQL compiled to WASM on the thread that
// calls it, and on the web server's one JavaScript thread its queries (those of the pages and of the runner) took a
// third of that thread under load (bench/load.ts with --cpu-prof). Here they run beside it. db/pglite-thread.ts is
// the other side: a client with the calls drizzle's PGlite driver makes (query, transaction), listen and close.
//
// Plain JavaScript started as a file (`new Worker(path)`): nothing is bundled or compiled for it.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

/** drizzle's PGlite driver asks for these types as the text PostgreSQL sent (it maps them itself). */
const raw = (value) => value;
const rawParsers = (oids) => Object.fromEntries((oids ?? []).map((oid) => [oid, raw]));

/**
 * A database error as plain data (an Error crosses threads without its fields): its own fields (code, severity,
 * table, constraint, the query and its parameters...) that can be copied, as lib/log.ts and drizzle read them.
 */
function errorFields(err) {
  const out = { message: String(err?.message ?? err), name: err?.name };
  if (err && typeof err === "object") {
    for (const [k, v] of Object.entries(err)) {
      if (typeof v === "function") continue;
      try {
        out[k] = structuredClone(v);
      } catch {
        // not copyable (a parser function inside options): left out
      }
    }
  }
  return out;
}

const { pgdata, options, template } = workerData;
const db = pgdata === null ? new PGlite({ ...options, ...(template ? { loadDataDir: new Blob([template]) } : {}) }) : new PGlite(pgdata, options);

/** Open transactions by id: the PGlite transaction object, and how to end it. */
const transactions = new Map();
let nextTx = 1;

async function handle(m, port) {
  switch (m.op) {
    case "query": {
      const target = m.tx ? transactions.get(m.tx)?.tx : db;
      if (!target) throw new Error(`transaction ${m.tx} is not open`);
      const r = await target.query(m.sql, m.params, { rowMode: m.rowMode, parsers: rawParsers(m.rawTypes) });
      return { rows: r.rows, fields: r.fields, affectedRows: r.affectedRows };
    }
    case "begin": {
      const id = nextTx++;
      return await new Promise((opened, failedToOpen) => {
        const done = db
          .transaction(
            (tx) =>
              new Promise((commit, rollback) => {
                transactions.set(id, { tx, commit, rollback, done, port });
                opened(id);
              }),
          )
          .finally(() => transactions.delete(id));
        done.catch((err) => failedToOpen(err));
      });
    }
    case "end": {
      const t = transactions.get(m.tx);
      if (!t) throw new Error(`transaction ${m.tx} is not open`);
      if (m.commit) t.commit();
      else t.rollback(new Error("rolled back"));
      try {
        await t.done;
      } catch (err) {
        if (m.commit) throw err;
      }
      return null;
    }
    case "listen": {
      await db.listen(m.channel, (payload) => port.postMessage({ notify: m.channel, payload }));
      return null;
    }
    case "connect": {
      // Another thread of the process (the embedded runner's) gets a port of its own: its queries queue here with
      // everyone else's, in one PostgreSQL session, and its answers and notifications go back through that port.
      serve(m.port, queues.then);
      return null;
    }
    case "close": {
      await db.close();
      return null;
    }
    default:
      throw new Error(`unknown operation ${m.op}`);
  }
}

/**
 * Statements outside a transaction, and transactions, one at a time, the web's thread first: the runner's thread
 * sends many more (events, leases, steps of 16 attempts at once), and in one queue a page or an API call waited
 * behind all of them. A transaction holds the database from its begin to its end, as PGlite itself does; its own
 * statements and its end go straight through. Each port's calls keep their order.
 */
const queues = { first: [], then: [] };
let holding = false;
const closed = new WeakSet();

function answer(m, port) {
  return handle(m, port).then(
    (result) => {
      port.postMessage({ id: m.id, result });
      return result;
    },
    (err) => {
      port.postMessage({ id: m.id, error: errorFields(err) });
      return undefined;
    },
  );
}

function next() {
  if (holding) return;
  const job = queues.first.shift() ?? queues.then.shift();
  if (!job) return;
  holding = true;
  const release = () => {
    holding = false;
    next();
  };
  const { m, port } = job;
  answer(m, port).then((result) => {
    const open = m.op === "begin" && result !== undefined ? transactions.get(result) : undefined;
    if (!open) return release();
    // The port may have closed while its transaction was opening: nobody would end it.
    if (closed.has(port)) open.rollback(new Error("the thread that opened this transaction is gone"));
    open.done.catch(() => undefined).finally(release);
  });
}

/** Answers the calls arriving on `port` (the creating thread's parentPort, or a port handed over by "connect"). */
function serve(port, queue) {
  port.on("message", (m) => {
    if ((m.op === "query" && !m.tx) || m.op === "begin") {
      queue.push({ m, port });
      next();
    } else {
      void answer(m, port);
    }
  });
  // A thread that ends inside a transaction would hold the database for good: what it left open is rolled back,
  // and what it had queued is dropped.
  port.on("close", () => {
    closed.add(port);
    for (const q of [queues.first, queues.then]) {
      for (let i = q.length - 1; i >= 0; i--) if (q[i].port === port) q.splice(i, 1);
    }
    for (const t of transactions.values()) if (t.port === port) t.rollback(new Error("the thread that opened this transaction is gone"));
  });
}
serve(parentPort, queues.first);

db.waitReady.then(
  () => parentPort.postMessage({ ready: true }),
  (err) => parentPort.postMessage({ ready: false, error: errorFields(err) }),
);
