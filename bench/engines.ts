/**
 * Per-engine overhead: submit (insertTaskWithJobs + NOTIFY, what the app's create action does) → the first
 * command's start and its first output, for the Patchbay agent (the anchor), Codex CLI and Claude Code, side by
 * side. Every engine plays the same scenario shape (one model call, then `cat src/greet.js`) against the fake
 * model; the CLIs run inside the sandbox and reach the fake through the model gateway, so the difference is what
 * an engine costs: its start-up, its session restore, the gateway.
 *
 * Run: npx tsx --conditions=react-server bench/engines.ts   (BENCH_TASKS: tasks per engine, default 5)
 */
import { listAttemptEvents } from "@/db/queries/events";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import type { EngineName } from "@/lib/engines";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner } from "@/lib/runner/runner";
import { openBenchDb, setProcessDb } from "./lib/db";
import { startBenchStack } from "./lib/stack";
import { loadNote, median, ms, nowMs, quantile } from "./lib/stats";

const N = Number(process.env.BENCH_TASKS ?? 5);
const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
// The Patchbay agent gets the exec_command surface, so that codex-greet's first step is a command for it too.
const ENGINES: { engine: EngineName; label: string; prompt: string }[] = [
  { engine: "patchbay", label: "Patchbay agent (anchor)", prompt: "Make greet trim the name [scenario:codex-greet]" },
  { engine: "codex", label: "Codex CLI", prompt: "Make greet trim the name [scenario:codex-greet]" },
  { engine: "claude", label: "Claude Code", prompt: "Make greet trim the name [scenario:claude-greet]" },
];

type Run = { firstCommand: number; firstOutput: number; total: number; ok: boolean };

const stack = await startBenchStack();
const handle = await openBenchDb("pglite");
setProcessDb(handle);
const config = runnerConfigFromEnv(getEnv(), { dataDir: stack.dataDir, concurrency: 1, perUserLimit: 1, pollMs: 50, agentTools: "exec_command" });
const runner = await startRunner(handle, config);
const [user] = await handle.db.insert(users).values({ name: "Bench", githubLogin: "bench" }).returning();

async function runOne(engine: EngineName, prompt: string): Promise<Run> {
  const t0 = nowMs();
  const { attempts } = await insertTaskWithJobs(handle.db, {
    ownerId: user.id,
    repoFullName: "acme/widgets",
    baseBranch: "main",
    mode: "code",
    title: prompt,
    prompt,
    attemptsCount: 1,
    engine,
  });
  await handle.notify("patchbay_jobs", "");
  const deadline = Date.now() + 120_000;
  let status = "";
  while (Date.now() < deadline) {
    status = (await findAttempt(handle.db, attempts[0].id))?.status ?? "";
    if (FINAL.has(status)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const events = await listAttemptEvents(handle.db, attempts[0].id);
  const at = (pred: (e: (typeof events)[number]) => boolean) => {
    const e = events.find(pred);
    return e ? e.createdAt.getTime() - t0 : Number.NaN;
  };
  return {
    firstCommand: at((e) => e.type === "command" && e.payload.phase === "start"),
    firstOutput: at((e) => e.type === "log" && /^c\d+$/.test(String(e.payload.chunkId))),
    total: (events.at(-1)?.createdAt.getTime() ?? Number.NaN) - t0,
    ok: status === "succeeded",
  };
}

try {
  // One warm-up task creates the mirror and loads every module (and each CLI binary once into the page cache).
  for (const e of ENGINES) await runOne(e.engine, e.prompt);
  const results = new Map<EngineName, Run[]>();
  // Interleaved, so that the machine's load falls on every engine alike.
  for (let i = 0; i < N; i++) for (const e of ENGINES) results.set(e.engine, [...(results.get(e.engine) ?? []), await runOne(e.engine, e.prompt)]);

  const anchor = median(results.get("patchbay")!.map((r) => r.firstCommand));
  console.log(`engines: ${N} Code tasks per engine, interleaved, warm mirror, times from submit (insert + NOTIFY); ${loadNote()}`);
  console.log(`  ${"engine".padEnd(26)} ${"first command".padStart(14)} ${"p90".padStart(8)} ${"first output".padStart(13)} ${"whole attempt".padStart(14)} ${"overhead".padStart(9)}  ok`);
  for (const e of ENGINES) {
    const runs = results.get(e.engine)!;
    const first = median(runs.map((r) => r.firstCommand));
    const over = e.engine === "patchbay" ? "—" : `+${ms(first - anchor)}`;
    console.log(
      `  ${e.label.padEnd(26)} ${ms(first).padStart(14)} ${ms(quantile(runs.map((r) => r.firstCommand), 0.9)).padStart(8)} ${ms(median(runs.map((r) => r.firstOutput))).padStart(13)} ${ms(median(runs.map((r) => r.total))).padStart(14)} ${over.padStart(9)}  ${runs.filter((r) => r.ok).length}/${runs.length}`,
    );
  }
} finally {
  await runner.stop();
  await handle.cleanup();
  await stack.close();
}
