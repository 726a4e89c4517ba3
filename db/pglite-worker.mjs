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

function reply(id, result) {
  parentPort.postMessage({ id, result });
}
function fail(id, err) {
  parentPort.postMessage({ id, error: errorFields(err) });
}

async function handle(m) {
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
                transactions.set(id, { tx, commit, rollback, done });
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
      await db.listen(m.channel, (payload) => parentPort.postMessage({ notify: m.channel, payload }));
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

parentPort.on("message", (m) => {
  handle(m).then(
    (result) => reply(m.id, result),
    (err) => fail(m.id, err),
  );
});

db.waitReady.then(
  () => parentPort.postMessage({ ready: true }),
  (err) => parentPort.postMessage({ ready: false, error: errorFields(err) }),
);
