/**
 * Cached environments (issue 13): submit → first agent command output on a repository whose setup script takes
 * SETUP_SECONDS (default 20) — the first, uncached attempt and then cached ones — side by side with the anchor, a
 * repository with no setup at all, in one run. Also the disk an attempt writes over a cached environment (its
 * overlay's upper layer, sampled on the attempt's volume at its first output) next to the prepared tree a full copy
 * would cost.
 *
 * Run (root: volumes and overlays): npx tsx --conditions=react-server bench/env-cache.ts
 */
import fs from "node:fs";
import path from "node:path";
import { upsertEnvironment } from "@/db/queries/environments";
import { listTaskEventsAfter } from "@/db/queries/events";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { environments, users } from "@/db/schema";
import { subscribeTaskEvents } from "@/lib/events/bus";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner } from "@/lib/runner/runner";
import { openBenchDb, setProcessDb } from "./lib/db";
import { startBenchStack } from "./lib/stack";
import { loadNote, mb, median, ms, nowMs } from "./lib/stats";

const SETUP_SECONDS = Number(process.env.SETUP_SECONDS ?? 20);
const N = Number(process.env.BENCH_TASKS ?? 5);
const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
const PROMPT = "Make greet trim the name";

async function main() {
  if (process.getuid?.() !== 0) {
    console.log("env-cache: needs root (loop volumes and overlays); skipped");
    return;
  }
  const stack = await startBenchStack();
  const handle = await openBenchDb("pglite");
  setProcessDb(handle);
  const config = runnerConfigFromEnv(getEnv(), {
    dataDir: stack.dataDir,
    model: { baseURL: stack.model.url, apiKey: "sk-bench", model: "fake-codex", apiMode: "responses", timeoutMs: 30_000, maxRetries: 0 },
  });
  const runner = await startRunner(handle, config);
  const [user] = await handle.db.insert(users).values({ name: "Bench", githubLogin: "bench" }).returning();

  /** Submit → first output of the agent's first command; the attempt's volume use at that moment. */
  async function runOne(): Promise<{ firstOutput: number; volumeBytes: number; ranSetup: boolean }> {
    const t0 = nowMs();
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: user.id, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: PROMPT, prompt: PROMPT, attemptsCount: 1,
    });
    let lastId = 0;
    let firstOutput = Number.NaN;
    let volumeBytes = Number.NaN;
    let ranSetup = false;
    let finished: () => void = () => {};
    const done = new Promise<void>((r) => (finished = r));
    const volume = path.join(config.dataDir, "work", attempts[0].id, "vol");
    const wake = async () => {
      const rows = await listTaskEventsAfter(handle.db, task.id, lastId, 500);
      for (const e of rows) {
        lastId = e.id;
        if (e.type === "command" && e.payload.chunkId === "setup-script") ranSetup = true;
        if (Number.isNaN(firstOutput) && e.type === "log" && /^c\d+$/.test(String(e.payload.chunkId))) {
          firstOutput = nowMs() - t0;
          try {
            const s = fs.statfsSync(volume);
            volumeBytes = (s.blocks - s.bfree) * s.bsize;
          } catch {
            // the turn is over already
          }
        }
        if (e.type === "status" && FINAL.has(String(e.payload.status))) finished();
      }
    };
    const unsubscribe = await subscribeTaskEvents(handle, task.id, () => void wake());
    await handle.notify("patchbay_jobs", "");
    const timer = setTimeout(finished, 120_000);
    await done;
    clearTimeout(timer);
    unsubscribe();
    return { firstOutput, volumeBytes, ranSetup };
  }

  try {
    // The anchor: no environment at all (one warm-up run creates the mirror).
    await runOne();
    const plain: number[] = [];
    const plainDisk: number[] = [];
    for (let i = 0; i < N; i++) {
      const r = await runOne();
      plain.push(r.firstOutput);
      plainDisk.push(r.volumeBytes);
    }

    await upsertEnvironment(
      handle.db,
      { ownerId: user.id, repoFullName: "acme/widgets" },
      {
        defaultBranch: "main",
        // A setup that takes SETUP_SECONDS and leaves dependencies behind (a 2,000-file node_modules, ~40 MB).
        setupScript: `for i in $(seq 1 2000); do mkdir -p node_modules/pkg$i; head -c 20000 /dev/urandom > node_modules/pkg$i/index.js; done\nsleep ${SETUP_SECONDS}`,
        envVars: {},
        secretsEncrypted: null,
        internetPolicy: "off",
        setupTimeoutSeconds: SETUP_SECONDS + 300,
      },
    );
    const uncached = await runOne();
    const cached: number[] = [];
    const cachedDisk: number[] = [];
    for (let i = 0; i < N; i++) {
      const r = await runOne();
      if (r.ranSetup) console.log("  (unexpected: a cached run ran setup)");
      cached.push(r.firstOutput);
      cachedDisk.push(r.volumeBytes);
    }
    const [env] = await handle.db.select().from(environments);
    const entries = fs.readdirSync(path.join(config.dataDir, "cache", env.id));
    const entryVol = path.join(config.dataDir, "cache", env.id, entries[0], "vol");
    const s = fs.statfsSync(entryVol);
    const prepared = (s.blocks - s.bfree) * s.bsize;

    console.log(`env cache: submit -> first agent command output, ${N} runs each (medians); ${loadNote()}`);
    console.log(`  no setup at all (anchor)                 ${ms(median(plain)).padStart(9)}`);
    console.log(`  setup of ~${SETUP_SECONDS} s, first attempt (uncached)  ${ms(uncached.firstOutput).padStart(9)}   (setup ran: ${uncached.ranSetup})`);
    console.log(`  same setup, cached                       ${ms(median(cached)).padStart(9)}   = ${(median(cached) / median(plain)).toFixed(2)}x the anchor (goal <= 1.5x)`);
    const kib = (n: number) => (n < 10 * 1024 * 1024 ? `${Math.round(n / 1024)} KiB` : mb(n));
    console.log(
      `  disk used by an attempt's volume at its first output: no setup ${kib(median(plainDisk))}, cached ${kib(median(cachedDisk))}` +
        ` (its git dir and overlay upper layer); the prepared tree a full copy would cost: ${kib(prepared)}`,
    );
  } finally {
    await runner.stop();
    await handle.cleanup();
    await stack.close();
  }
}

await main();
