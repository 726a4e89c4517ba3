// Makes the fresh-cluster template of the installed PGlite: a cluster made by its initdb, dumped (a tar) and
// compressed, in node_modules/.cache/patchbay/ (db/pglite-options.ts reads it). A new embedded data folder, and every
// in-memory test database, starts from it instead of running initdb, which peaks at ~800 MB and takes seconds
// (bench/embedded-memory.ts). `npm install` runs this (postinstall), so the template always matches the installed
// PGlite and nothing binary is kept in git; `npm run db:template` runs it again. Without a template (installed
// with --ignore-scripts, or this failed) initdb runs as before: never an error.
// Plain JavaScript on purpose: it runs at install time, when tsx (a dev dependency) may not be installed.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const root = process.cwd();
try {
  const { PGlite } = await import("@electric-sql/pglite");
  const version = JSON.parse(fs.readFileSync(path.join(root, "node_modules", "@electric-sql", "pglite", "package.json"), "utf8")).version;
  // The same initdb settings as db/pglite-options.ts (the small buffer pool: initdb's own memory).
  const db = new PGlite({ initDbStartParams: ["-c", "shared_buffers=16MB"] });
  await db.waitReady;
  await db.exec("checkpoint");
  const tar = Buffer.from(await (await db.dumpDataDir("none")).arrayBuffer());
  await db.close();
  const compressed = zlib.brotliCompressSync(tar, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: tar.length },
  });
  const dir = path.join(root, "node_modules", ".cache", "patchbay");
  const file = path.join(dir, `pglite-cluster-${version}.tar.br`);
  fs.mkdirSync(dir, { recursive: true });
  for (const old of fs.readdirSync(dir)) if (old.startsWith("pglite-cluster-") && old !== path.basename(file)) fs.rmSync(path.join(dir, old), { force: true });
  const staging = `${file}.${process.pid}`;
  fs.writeFileSync(staging, compressed);
  fs.renameSync(staging, file);
  console.log(`${path.relative(root, file)}: PGlite ${version}'s fresh cluster, ${(tar.length / 1048576).toFixed(1)} MB in ${(compressed.length / 1048576).toFixed(1)} MB`);
} catch (err) {
  console.warn(`patchbay: no PGlite cluster template (${err instanceof Error ? err.message : String(err)}); a new embedded database runs initdb instead.`);
}
