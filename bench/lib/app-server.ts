/**
 * The real app for the benches that measure it end to end: the fakes (GitHub, and a model playing the benches' own
 * scenarios from bench/lib/fixtures/model), then `next start` of the app's production build on a port of its own,
 * embedded (PGlite in a fresh data folder + the in-process runner) or on PostgreSQL (a throwaway database, the
 * runner still in the web process). A person signs in through the app's GitHub button in Chromium, and the bench
 * talks to the app over HTTP with that session, like a browser.
 *
 * Needs a build (`.next/BUILD_ID`): run `npx next build` first (`npm run test:e2e` also builds). The e2e stack uses
 * port 3100; benches use 3300 and up.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext } from "@playwright/test";
import pg from "pg";
import { openPostgres } from "@/db/client";
import { appEnvFor } from "@/e2e/fakes/app-env";
import { startFakeGitHub, type FakeGitHub } from "@/e2e/fakes/github/server";
import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";
import { unmountUnder } from "@/tests/helpers/mounts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixtureDirs = [path.join(repoRoot, "e2e", "fixtures", "model"), path.join(repoRoot, "bench", "lib", "fixtures", "model")];

/** The e2e scenarios (the default Code and Ask ones among them) and the benches' own, in one folder for the fake. */
function modelFixtures(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-bench-model-"));
  for (const from of fixtureDirs) {
    for (const name of fs.readdirSync(from)) if (name.endsWith(".json")) fs.symlinkSync(path.join(from, name), path.join(dir, name));
  }
  return dir;
}
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export type AppServer = {
  url: string;
  /** The `next start` process (its server runs in it: next-server). */
  pid: number;
  dataDir: string;
  db: "pglite" | "postgres";
  /** The runner processes (`npm run worker`) when the app was started with `workers` (the web's runner is then off). */
  workers: ChildProcess[];
  /** Stops everything; the data folder goes too unless `keepData`. */
  close(opts?: { keepData?: boolean }): Promise<void>;
};

export function hasBuild(): boolean {
  return fs.existsSync(path.join(repoRoot, ".next", "BUILD_ID"));
}

async function throwawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL!;
  const name = `patchbay_bench_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  // As a deployment does (`npm run db:migrate`) before starting the web and the workers.
  const migrated = await openPostgres(url.toString(), { migrate: true, max: 1 });
  await migrated.close();
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the app did not answer ${url}/api/health within ${timeoutMs / 1000} s`);
}

/**
 * Starts the fakes and `next start` on `port`. `db` "postgres" needs DATABASE_URL. `nodeArgs` go to the server's
 * node (e.g. --cpu-prof); `env` adds to the app's configuration.
 */
export async function startAppServer(opts: {
  port: number;
  db?: "pglite" | "postgres";
  /** An existing data folder (a second boot); by default a new one. */
  dataDir?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  quiet?: boolean;
  /** Called with the server's pid as soon as it is spawned (memory sampling from the first byte). */
  onSpawn?: (pid: number) => void;
  /** Runner processes of their own (scripts/worker.ts, each with its own data folder), the web's runner off. Postgres only. */
  workers?: number;
}): Promise<AppServer & { github: FakeGitHub; model: FakeModel }> {
  if (!hasBuild()) throw new Error(`no production build in ${repoRoot}/.next: run \`npx next build\` first`);
  const db = opts.db ?? "pglite";
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-bench-app-"));
  fs.chmodSync(dataDir, 0o755);
  const fixturesDir = modelFixtures();
  const [github, model] = await Promise.all([
    startFakeGitHub({ dataDir: path.join(dataDir, "fake-github") }),
    startFakeModel({ textDelayMs: 0, fixturesDir }),
  ]);
  const database = db === "postgres" ? await throwawayDatabase() : null;
  const url = `http://127.0.0.1:${opts.port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXTAUTH_URL: url,
    NEXTAUTH_SECRET: "patchbay-bench-secret-not-for-production",
    PATCHBAY_DATA_DIR: dataDir,
    ...appEnvFor(github, model.url),
    OPENAI_API_MODE: "responses",
    ...(database ? { DATABASE_URL: database.url, RUNNER_EMBEDDED: "true" } : {}),
    ...opts.env,
  };
  if (!database) delete env.DATABASE_URL;
  // The benches' tsx loader must not leak into the app's node.
  delete env.NODE_OPTIONS;
  const nextBin = path.join(repoRoot, "node_modules", "next", "dist", "bin", "next");
  const webEnv = opts.workers ? { ...env, RUNNER_EMBEDDED: "false" } : env;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), nextBin, "start", "-p", String(opts.port), "-H", "127.0.0.1"], {
    cwd: repoRoot,
    env: webEnv,
    stdio: ["ignore", opts.quiet === false ? "inherit" : "ignore", "inherit"],
  });
  opts.onSpawn?.(child.pid!);
  const workers: ChildProcess[] = [];
  if (opts.workers) {
    if (!database) throw new Error("workers need PostgreSQL (db: \"postgres\")");
    for (let i = 0; i < opts.workers; i++) {
      const workerDir = path.join(dataDir, `worker-${i}`);
      fs.mkdirSync(workerDir, { recursive: true, mode: 0o755 });
      workers.push(
        spawn(process.execPath, [...(opts.nodeArgs ?? []), "--conditions=react-server", "--import", "tsx", path.join(repoRoot, "scripts", "worker.ts")], {
          cwd: repoRoot,
          env: { ...env, RUNNER_EMBEDDED: "true", PATCHBAY_DATA_DIR: workerDir },
          stdio: ["ignore", "ignore", "inherit"],
        }),
      );
    }
  }
  let closed = false;
  const close = async ({ keepData = false } = {}) => {
    if (closed) return;
    closed = true;
    await Promise.all(
      [child, ...workers].map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await Promise.allSettled([github.close(), model.close()]);
    await database?.drop().catch(() => undefined);
    unmountUnder(dataDir);
    if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(fixturesDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(url, child);
  } catch (err) {
    await close();
    throw err;
  }
  return { url, pid: child.pid!, dataDir, db, workers, github, model, close };
}

/** Chromium signed in as `login` through the app's GitHub button and the fake GitHub's authorize page. */
export async function signedInBrowser(
  app: AppServer,
  login = "alice",
  contextOptions: Parameters<Browser["newContext"]>[0] = {},
): Promise<{ browser: Browser; context: BrowserContext; cookie: string }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1440, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  await page.goto("/");
  await page.getByRole("button", { name: "Sign in with GitHub" }).click();
  await page.getByLabel("Username").fill(login);
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.getByRole("heading", { name: "What should we code next?" }).waitFor();
  await page.close();
  const cookies = await context.cookies(app.url);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  return { browser, context, cookie };
}

type TaskDetail = { task: { id: string; status: string }; attempts: { id: string; status: string; hasDiff: boolean }[] };

/** A task created through POST /api/tasks with the session, as the composer does. */
export async function createTask(app: AppServer, cookie: string, prompt: string, mode: "code" | "ask" = "code"): Promise<string> {
  const res = await fetch(`${app.url}/api/tasks`, {
    method: "POST",
    headers: { cookie, origin: app.url, "content-type": "application/json" },
    body: JSON.stringify({ repo: "acme/widgets", branch: "main", mode, prompt }),
  });
  if (!res.ok) throw new Error(`POST /api/tasks: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { task?: { id: string }; id?: string };
  const id = body.task?.id ?? body.id;
  if (!id) throw new Error(`POST /api/tasks answered without a task id: ${JSON.stringify(body)}`);
  return id;
}

export async function taskDetail(app: AppServer, cookie: string, id: string): Promise<TaskDetail> {
  const res = await fetch(`${app.url}/api/tasks/${id}`, { headers: { cookie } });
  if (!res.ok) throw new Error(`GET /api/tasks/${id}: ${res.status}`);
  return (await res.json()) as TaskDetail;
}

/** Polls the task until `done` says so (or the time is up). */
export async function waitForTask(
  app: AppServer,
  cookie: string,
  id: string,
  done: (t: TaskDetail) => boolean,
  timeoutMs = 120_000,
): Promise<TaskDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await taskDetail(app, cookie, id);
    if (done(t)) return t;
    if (Date.now() > deadline) throw new Error(`task ${id} still ${t.task.status} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function cancelTask(app: AppServer, cookie: string, id: string): Promise<void> {
  await fetch(`${app.url}/api/tasks/${id}/cancel`, { method: "POST", headers: { cookie, origin: app.url, "content-type": "application/json" }, body: "{}" });
}

/**
 * A process's children: those of every one of its threads (a child belongs to the thread that started it, and the
 * embedded runner's thread starts the command helper).
 */
function childrenOf(pid: number): number[] {
  let threads: string[] = [];
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone
  }
  const out: number[] = [];
  for (const tid of threads) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** User + system CPU seconds of a process and its node children (sandboxed commands are not the app's CPU). */
export function cpuSeconds(rootPid: number): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (pid: number) => {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    // Only node processes and what they spawned directly: a sandbox (bwrap and below) is the task's, not the app's.
    if (!comm.startsWith("node") && !comm.startsWith("next")) return;
    total += (Number(fields[11]) + Number(fields[12])) / tick;
    for (const c of childrenOf(pid)) visit(c);
  };
  visit(rootPid);
  return total;
}

/** Resident set size (bytes) of a process (VmRSS) and its peak (VmHWM). */
export function rssOf(pid: number): { rss: number; peak: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/**
 * CPU seconds (user + system) of a process and everything below it: its own, its reaped children's (git, the
 * sandboxed commands: cutime/cstime), and its live descendants'. What the machine spent on the process's work.
 */
export function allCpuSeconds(rootPid: number): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (pid: number) => {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return;
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / tick;
    for (const c of childrenOf(pid)) visit(c);
  };
  visit(rootPid);
  return total;
}
