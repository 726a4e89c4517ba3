/**
 * Runs every bench in sequence, each in its own process (memory figures and the once-per-process env stay clean),
 * and prints each one's figures. `npm run bench` (tsx --conditions=react-server bench/run-all.ts).
 * Arguments filter by name: `npm run bench -- sse board`.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BENCHES = ["sandbox-overhead", "task-latency", "runner-memory", "sse-latency", "embedded-memory", "load", "board-load", "diff-render", "env-cache", "egress-proxy", "engines"];
const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const selected = only.length ? BENCHES.filter((b) => only.some((o) => b.includes(o))) : BENCHES;

console.log(`Patchbay benches: ${selected.join(", ")}${process.env.DATABASE_URL ? " (PGlite and PostgreSQL)" : " (PGlite; set DATABASE_URL for PostgreSQL too)"}`);
let failed = 0;
for (const name of selected) {
  console.log(`\n== ${name} ==`);
  const started = performance.now();
  const child = spawn(process.execPath, [...process.execArgv, path.join(dir, `${name}.ts`)], { stdio: "inherit", env: process.env });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  if (code !== 0) {
    failed++;
    console.log(`(${name} exited with ${code} after ${secs} s)`);
  } else console.log(`(${name}: ${secs} s)`);
}
process.exitCode = failed ? 1 : 0;
