import "server-only";
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import zlib from "node:zlib";
import type { PGliteOptions } from "@electric-sql/pglite";

/**
 * How the embedded database is started, for memory's sake (bench/embedded-memory.ts measures it).
 *
 * Emscripten backs PostgreSQL's shared memory with zero-filled WASM heap, so all of shared_buffers is resident from
 * the start: PostgreSQL's default 128 MB alone was a third of the idle process. 16 MB holds the hot pages of an
 * embedded install (a board of 10,000 tasks is a few MB of heap and index); a miss is a read of the data folder's
 * file, which the OS keeps cached. One process and one connection: max_connections only sizes the process and lock
 * tables.
 */
const SETTINGS: Record<string, string> = { shared_buffers: "16MB", max_connections: "8" };

export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, ...Object.entries(SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`])];
}

const pgliteRoot = path.join(process.cwd(), "node_modules", "@electric-sql", "pglite");
const templatesDir = path.join(process.cwd(), "node_modules", ".cache", "patchbay");

export function pgliteVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(pgliteRoot, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Where the installed PGlite's fresh cluster is kept: made at install time (scripts/pglite-template.mjs, the
 * postinstall script; `npm run db:template`), so it always belongs to the installed version.
 */
export function clusterTemplatePath(version = pgliteVersion()): string {
  return path.join(templatesDir, `pglite-cluster-${version}.tar.br`);
}

/** The template's file when the installed PGlite has one (none: installed with --ignore-scripts, or no PGlite). */
function installedTemplateFile(): string | undefined {
  try {
    const file = clusterTemplatePath();
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A fresh cluster (what initdb makes, dumped by this PGlite version: a tar), to start a new database from instead of
 * running initdb. PGlite's initdb runs in a second PostgreSQL instance and copies its heap: a first boot peaked at
 * ~800 MB and kept ~520 MB that the process never gave back. Undefined when there is none for the installed version
 * (installed with --ignore-scripts): initdb then runs as before.
 */
export function clusterTemplate(): Buffer | undefined {
  const file = installedTemplateFile();
  if (!file) return undefined;
  try {
    return zlib.brotliDecompressSync(fs.readFileSync(file));
  } catch {
    return undefined; // a damaged cache: initdb
  }
}

const clusterWorkerPath = path.join(process.cwd(), "db", "pglite-cluster.mjs");

/**
 * Makes `pgdata` a fresh cluster from the template, when it is not a cluster yet and there is a template: unpacked
 * on a thread of its own (db/pglite-cluster.mjs says why) next to it and renamed into place, so that a crash halfway
 * never leaves something that looks like a cluster. Plain file writes: PGlite then opens it as any existing
 * database, at an ordinary boot's cost.
 */
async function createClusterFromTemplate(pgdata: string): Promise<boolean> {
  const templateFile = installedTemplateFile();
  if (!templateFile) return false;
  const staging = `${pgdata}.new-${process.pid}`;
  const made = await new Promise<boolean>((resolve, reject) => {
    let answer = false;
    const worker = new Worker(clusterWorkerPath, { workerData: { templateFile, staging } });
    worker.on("message", (m: { made: boolean }) => (answer = m.made));
    worker.on("error", (err) => {
      fs.rmSync(staging, { recursive: true, force: true });
      reject(err);
    });
    worker.on("exit", () => resolve(answer));
  });
  if (!made) return false;
  fs.rmSync(pgdata, { recursive: true, force: true });
  fs.renameSync(staging, pgdata);
  return true;
}

/**
 * Options for a data folder (or memory, `pgdata` null): the start parameters; a new data folder is made from the
 * template first, memory loads `template` (its tar). `fresh`: the cluster is new (from the template, or from initdb when there is none).
 */
export async function pgliteOptions(
  PGlite: { defaultStartParams: readonly string[] },
  pgdata: string | null,
): Promise<{ options: PGliteOptions; fresh: boolean; template?: Buffer }> {
  const startParams = pgliteStartParams(PGlite.defaultStartParams);
  const initDbStartParams = ["-c", `shared_buffers=${SETTINGS.shared_buffers}`];
  if (pgdata !== null) {
    const fresh = !fs.existsSync(path.join(pgdata, "PG_VERSION"));
    if (fresh) await createClusterFromTemplate(pgdata);
    return { options: { startParams, initDbStartParams }, fresh };
  }
  return { options: { startParams, initDbStartParams }, fresh: true, template: clusterTemplate() };
}
