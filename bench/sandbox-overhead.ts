/**
 * Sandbox exec overhead: `true` and `echo hi`, 200 runs each, bare (child_process.spawn of the same argv) vs
 * through createBwrapSandbox().exec.
 *
 * Run: npx tsx --conditions=react-server bench/sandbox-overhead.ts
 * (`server-only` throws outside Next.js; the react-server condition resolves it to its empty module.)
 * As root this also exercises the setpriv drop to the patchbay-sandbox host user.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { createBwrapSandbox, ensureSandboxUser } from "@/lib/sandbox";

const RUNS = 200;
const WARMUP = 10;

function bare(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", () => resolve());
  });
}

function stats(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: at(0.5), p95: at(0.95) };
}

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

async function main(): Promise<void> {
  const user = await ensureSandboxUser();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-bench-"));
  fs.chmodSync(root, 0o755);
  const workspace = path.join(root, "attempt");
  fs.mkdirSync(workspace);
  fs.chownSync(workspace, user.uid, user.gid);
  const sandbox = await createBwrapSandbox({ workspaceDir: workspace, mode: "rw", network: "off" });
  try {
    const fmt = (n: number) => n.toFixed(1);
    for (const argv of [["true"], ["echo", "hi"]]) {
      const bareStats = stats(await time(() => bare(argv)));
      const sandboxed = stats(
        await time(async () => {
          const r = await sandbox.exec({ argv, timeoutMs: 10_000 });
          if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
        }),
      );
      console.log(
        `sandbox exec ${argv.join(" ")}: median ${fmt(sandboxed.median)} ms p95 ${fmt(sandboxed.p95)} ms ` +
          `(bare ${fmt(bareStats.median)} ms) overhead ${fmt(sandboxed.median - bareStats.median)} ms`,
      );
    }
    console.log(`(${RUNS} runs each after ${WARMUP} warm-up runs; host uid ${process.getuid?.()}, sandbox host uid ${user.uid}; goal: overhead < 30 ms)`);
  } finally {
    await sandbox.destroy();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
