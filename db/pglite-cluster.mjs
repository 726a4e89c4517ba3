// Makes a new embedded database's cluster from the install-time template (db/pglite-options.ts), on a thread of
// its own: the template is a 40 MB tar once decompressed, and buffers that size, once used on the web server's
// thread, stayed in its RSS until a full GC that an idle server never runs (+80 MB after a first boot). A thread's
// memory goes with it.
//
// Plain JavaScript started as a file (`new Worker(path)`), like db/pglite-worker.mjs.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { parentPort, workerData } from "node:worker_threads";

/** Writes a ustar archive's directories and files (as PGlite dumps them: absolute names, no links) under `root`. */
function extractTar(tar, root) {
  const field = (h, from, length) => h.subarray(from, from + length).toString("utf8").replace(/\0.*$/s, "");
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = [field(header, 345, 155), field(header, 0, 100)].filter(Boolean).join("/");
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156]);
    const rel = path.normalize(name).replace(/^\/+/, "");
    if (rel.startsWith("..") || path.isAbsolute(rel)) throw new Error(`cluster template: bad path ${name}`);
    const target = path.join(root, rel);
    if (type === "5") fs.mkdirSync(target, { recursive: true, mode: 0o700 });
    else if (type === "0" || type === "\0") {
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      fs.writeFileSync(target, tar.subarray(at + 512, at + 512 + size), { mode: 0o600 });
    } else throw new Error(`cluster template: entry ${name} of type ${type}`);
    at += 512 + Math.ceil(size / 512) * 512;
  }
}

const { templateFile, staging } = workerData;
let tar;
try {
  tar = zlib.brotliDecompressSync(fs.readFileSync(templateFile));
} catch {
  parentPort.postMessage({ made: false }); // a damaged cache: initdb
}
if (tar) {
  fs.rmSync(staging, { recursive: true, force: true });
  extractTar(tar, staging);
  parentPort.postMessage({ made: true });
}
