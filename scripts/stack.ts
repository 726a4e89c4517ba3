/**
 * Starts the fake GitHub and the fake model, then the Patchbay app pointed at them through its ordinary
 * configuration. Used by `npm run demo` (next dev, data kept in .data/demo) and by the Playwright suite
 * (next start on a fresh data folder).
 *
 *   tsx scripts/stack.ts --mode demo|e2e [--port 3000]
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeGitHub } from "../e2e/fakes/github/server";
import { startFakeModel } from "../e2e/fakes/model/server";
import { appEnvFor } from "../e2e/fakes/app-env";

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "demo" },
    port: { type: "string" },
  },
});
const mode = values.mode === "e2e" ? "e2e" : "demo";
const appPort = Number(values.port ?? (mode === "e2e" ? 3100 : 3000));
const host = mode === "e2e" ? "127.0.0.1" : "localhost";
const appUrl = `http://${host}:${appPort}`;

const dataDir =
  mode === "e2e" ? fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-e2e-")) : path.resolve(".data", "demo");
fs.mkdirSync(dataDir, { recursive: true });
fs.chmodSync(dataDir, 0o755);

// The fake GitHub signs its webhook deliveries (comments, review requests) and sends them to the app, as GitHub would.
const github = await startFakeGitHub({ port: appPort + 1, dataDir: path.join(dataDir, "fake-github"), webhookUrl: `${appUrl}/api/github/webhook` });
const model = await startFakeModel({ port: appPort + 2 });

const env: NodeJS.ProcessEnv = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  NEXTAUTH_URL: appUrl,
  NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? "patchbay-demo-secret-change-me-in-production",
  PATCHBAY_DATA_DIR: dataDir,
  ...appEnvFor(github, model.url),
  OPENAI_API_MODE: process.env.OPENAI_API_MODE ?? "responses",
  RUNNER_LEASE_SECONDS: "10",
  // Prices for the fake models (gpt-5-codex's list price), so the panel shows what a task would have cost.
  MODEL_PRICES:
    process.env.MODEL_PRICES ??
    JSON.stringify({ "fake-codex": { input: 1.25, cachedInput: 0.125, output: 10 }, "fake-claude": { input: 3, cachedInput: 0.3, output: 15 } }),
};
// The demo is embedded and offline: a server database or real credentials from the shell must not leak in.
delete env.DATABASE_URL;
delete env.RUNNER_EMBEDDED;

const nextBin = path.resolve("node_modules", "next", "dist", "bin", "next");
const args = mode === "e2e" ? ["start", "-p", String(appPort), "-H", "127.0.0.1"] : ["dev", "-p", String(appPort)];
const app = spawn(process.execPath, [nextBin, ...args], { env, stdio: "inherit" });

console.log(`
  Patchbay ${mode === "demo" ? "demo" : "e2e stack"}: ${appUrl}
  Sign in with GitHub, then type the username "alice" (or "bob") on the fake GitHub's page.
  Fake GitHub: ${github.url}    Fake model: ${model.url}    Data: ${dataDir}
`);

/** Mount points below `dir` (the runner's volumes and cache images), deepest first, from /proc/self/mountinfo. */
function mountsUnder(dir: string): string[] {
  let info = "";
  try {
    info = fs.readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return info
    .split("\n")
    .map((line) => unescape(line.split(" ")[4] ?? ""))
    .filter((m) => m.startsWith(dir + path.sep))
    .sort((a, b) => b.length - a.length);
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // The app stops its runner on SIGTERM (attempts end, pool volumes go); whatever it could not release in time is
  // unmounted here, so that no loop mount outlives the stack.
  const exited = app.exitCode !== null || app.signalCode !== null ? Promise.resolve() : new Promise((r) => app.once("exit", r));
  app.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (app.exitCode === null && app.signalCode === null) app.kill("SIGKILL");
  await Promise.allSettled([github.close(), model.close()]);
  for (const mount of mountsUnder(dataDir)) {
    if (spawnSync("umount", [mount]).status !== 0) spawnSync("umount", ["-l", mount]);
  }
  if (mode === "e2e") fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
app.on("exit", (code) => void stop(code ?? 0));
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
