import "server-only";
import { spawn, type ChildProcess } from "node:child_process";
import { HOST_TOOL_PATH } from "./bwrap-args";
import { HostCommandError, type HostCommandResult } from "./host-command";

/**
 * Host commands started by a small helper process instead of by this one. spawn() forks the calling process, and
 * fork copies its page tables: in the embedded server (Next.js + PGlite's WASM heap, 300-500 MB resident) each spawn
 * blocks the one JavaScript thread for ~25 ms (1 ms in a 60 MB process), and a Code task runs a few dozen git
 * commands: 60 tasks at once spent 38 s of the web thread in spawn() alone (bench/load.ts with --cpu-prof). The
 * helper is a bare node (~40 MB) started once; it runs each command as lib/sandbox/host-command.ts would (a process
 * group of its own, killed whole on timeout, exit or overflow, output capped) and sends back the outcome.
 */

export type SpawnerCommand = {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  maxBuffer?: number;
};

/** The helper, as source for `node -e`: plain JavaScript, nothing to resolve at run time. */
const HELPER = String.raw`
const { spawn } = require("node:child_process");
const groups = new Set();
const killGroup = (pid) => { if (pid === undefined) return; try { process.kill(-pid, "SIGKILL"); } catch {} };
process.on("disconnect", () => { for (const pid of groups) killGroup(pid); process.exit(0); });
process.on("message", (m) => {
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: [m.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"] });
  } catch (e) {
    process.send({ id: m.id, error: String(e && e.message || e) });
    return;
  }
  groups.add(child.pid);
  const out = [], err = [];
  let outBytes = 0, errBytes = 0, timedOut = false, overflow = false, failed = null;
  const timer = setTimeout(() => { timedOut = true; killGroup(child.pid); }, m.timeoutMs);
  child.stdout.on("data", (c) => { outBytes += c.length; if (outBytes > m.maxBuffer) { overflow = true; killGroup(child.pid); } else out.push(c); });
  child.stderr.on("data", (c) => { errBytes += c.length; if (errBytes > m.maxBuffer) { overflow = true; killGroup(child.pid); } else err.push(c); });
  if (child.stdin) { child.stdin.on("error", () => {}); child.stdin.end(m.input); }
  child.on("error", (e) => { failed = e.message; });
  child.on("exit", () => killGroup(child.pid));
  child.on("close", (code, signal) => {
    clearTimeout(timer);
    groups.delete(child.pid);
    if (failed !== null) process.send({ id: m.id, error: failed });
    else process.send({ id: m.id, result: { code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), timedOut, overflow } });
  });
});
`;

/** What runHostCommand gives a host tool when it is given no environment. */
const HOST_TOOL_ENV = { PATH: HOST_TOOL_PATH } as unknown as NodeJS.ProcessEnv;

type Reply = { id: number; result?: HostCommandResult; error?: string };
type Pending = { file: string; resolve: (r: HostCommandResult) => void; reject: (e: Error) => void };

const state = globalThis as unknown as { __patchbaySpawner?: { child: ChildProcess; pending: Map<number, Pending>; nextId: number } };

function helper() {
  const current = state.__patchbaySpawner;
  if (current && current.child.connected) return current;
  const env = { PATH: process.env.PATH ?? "" } as unknown as NodeJS.ProcessEnv;
  const child: ChildProcess = spawn(process.execPath, ["-e", HELPER], { stdio: ["ignore", "ignore", "inherit", "ipc"], env });
  const s = { child, pending: new Map<number, Pending>(), nextId: 1 };
  child.on("message", (m: Reply) => {
    const p = s.pending.get(m.id);
    if (!p) return;
    s.pending.delete(m.id);
    if (s.pending.size === 0) idle(child);
    if (m.result) p.resolve(m.result);
    else p.reject(new HostCommandError(`could not start ${p.file}: ${m.error ?? "unknown error"}`, null));
  });
  const fail = () => {
    if (state.__patchbaySpawner === s) state.__patchbaySpawner = undefined;
    for (const p of s.pending.values()) p.reject(new HostCommandError(`the command helper process stopped while running ${p.file}`, null));
    s.pending.clear();
  };
  child.on("exit", fail);
  child.on("error", fail);
  idle(child);
  state.__patchbaySpawner = s;
  return s;
}

/** The helper never keeps this process alive on its own. */
function idle(child: ChildProcess) {
  child.unref();
  child.channel?.unref();
}

/** Runs a host command through the helper; resolves with its outcome whatever the exit code, like runHostCommand. */
export function spawnViaHelper(cmd: SpawnerCommand): Promise<HostCommandResult> {
  cmd = { ...cmd, env: cmd.env ?? HOST_TOOL_ENV };
  const s = helper();
  const id = s.nextId++;
  return new Promise((resolve, reject) => {
    s.pending.set(id, { file: cmd.file, resolve, reject });
    s.child.channel?.ref();
    s.child.send({
      id,
      file: cmd.file,
      args: cmd.args,
      env: cmd.env,
      cwd: cmd.cwd,
      input: cmd.input,
      timeoutMs: cmd.timeoutMs ?? 120_000,
      maxBuffer: cmd.maxBuffer ?? 64 * 1024 * 1024,
    });
  });
}

/** spawnViaHelper that rejects unless the command exited 0 (runHostCommandOk's contract and message). */
export async function spawnViaHelperOk(file: string, args: string[], opts: Omit<SpawnerCommand, "file" | "args"> = {}): Promise<HostCommandResult> {
  const result = await spawnViaHelper({ file, args, ...opts, env: opts.env ?? HOST_TOOL_ENV });
  if (result.code !== 0) {
    const why = result.timedOut ? `timed out after ${opts.timeoutMs ?? 120_000} ms` : result.overflow ? "printed more output than allowed" : `exit ${result.code ?? result.signal}`;
    throw new HostCommandError(`${file} ${args[0] ?? ""} failed (${why}): ${result.stderr.trim().split("\n").slice(-3).join(" ")}`, result);
  }
  return result;
}
