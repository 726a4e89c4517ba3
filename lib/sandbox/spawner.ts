import "server-only";
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { Readable, Writable } from "node:stream";
import { HOST_TOOL_PATH } from "./bwrap-args";
import { HostCommandError, type HostCommandResult } from "./host-command-error";

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

/**
 * The niceness of the commands the helper starts (and so of all they start): when the machine is busy, the server's
 * threads (pages, the API, event streams, the agent loops) go first. The helper itself stays at the server's.
 */
const COMMAND_NICENESS = 10;
/** Output of one pipe on its way from the helper at most (see its flow control). */
const FLOW_WINDOW_BYTES = 1024 * 1024;

/** The helper, as source for `node -e`: plain JavaScript, nothing to resolve at run time. */
const HELPER = `const NICENESS = ${COMMAND_NICENESS}; const WINDOW = ${FLOW_WINDOW_BYTES};` + String.raw`
const { spawn } = require("node:child_process");
const { setPriority } = require("node:os");
const groups = new Set();
// The commands (not this relay, which must keep up with their output) yield the CPU to the server's threads.
const lower = (pid) => { try { setPriority(pid, NICENESS); } catch {} };
const streams = new Map();
const killGroup = (pid) => { if (pid === undefined) return; try { process.kill(-pid, "SIGKILL"); } catch {} };
process.on("disconnect", () => { for (const pid of groups) killGroup(pid); process.exit(0); });
const errorOf = (e) => ({ message: String((e && e.message) || e), code: e && e.code });
function stream(m) {
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: m.stdio });
  } catch (e) {
    process.send({ id: m.id, error: errorOf(e) });
    return;
  }
  streams.set(m.id, child);
  child.on("error", (e) => { if (child.pid === undefined) streams.delete(m.id); process.send({ id: m.id, error: errorOf(e) }); });
  if (child.pid === undefined) return;
  lower(child.pid);
  groups.add(child.pid);
  process.send({ id: m.id, pid: child.pid });
  child.stdio.forEach((fd, n) => {
    if (!fd) return;
    fd.on("error", () => {});
    if (m.stdio[n] === "pipe" && m.readable.includes(n)) {
      // Flow control: the channel to the server has no backpressure of its own, so at most WINDOW bytes of a pipe
      // are on their way at once; past that the pipe is not read (the command blocks on it) until they are out.
      const flow = { inflight: 0, byChannel: false, byServer: false };
      fd.flow = flow;
      fd.on("data", (data) => {
        flow.inflight += data.length;
        if (flow.inflight > WINDOW && !flow.byChannel) { flow.byChannel = true; fd.pause(); }
        process.send({ id: m.id, fd: n, data }, () => {
          flow.inflight -= data.length;
          if (flow.byChannel && flow.inflight <= WINDOW / 2) { flow.byChannel = false; if (!flow.byServer) fd.resume(); }
        });
      });
      fd.on("end", () => process.send({ id: m.id, fd: n, end: true }));
    }
  });
  child.on("exit", (code, signal) => process.send({ id: m.id, exit: [code, signal] }));
  child.on("close", (code, signal) => {
    groups.delete(child.pid);
    streams.delete(m.id);
    process.send({ id: m.id, close: [code, signal] });
  });
}
function control(m) {
  const child = streams.get(m.id);
  if (!child) return;
  const fd = child.stdio[m.fd];
  if (m.op === "write" && fd) fd.write(m.data);
  else if (m.op === "end" && fd) fd.end();
  else if (m.op === "pause" && fd) { if (fd.flow) fd.flow.byServer = true; fd.pause(); }
  else if (m.op === "resume" && fd) { if (fd.flow) fd.flow.byServer = false; if (!fd.flow || !fd.flow.byChannel) fd.resume(); }
  else if (m.op === "kill") { try { process.kill(m.group ? -child.pid : child.pid, m.signal); } catch {} }
}
function buffered(m) {
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: [m.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"] });
  } catch (e) {
    process.send({ id: m.id, error: String(e && e.message || e) });
    return;
  }
  lower(child.pid);
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
}
process.on("message", (m) => {
  if (m.op === "stream") stream(m);
  else if (m.op) control(m);
  else buffered(m);
});
`;

/** What runHostCommand gives a host tool when it is given no environment. */
const HOST_TOOL_ENV = { PATH: HOST_TOOL_PATH } as unknown as NodeJS.ProcessEnv;

type Reply = {
  id: number;
  result?: HostCommandResult;
  error?: string | { message: string; code?: string };
  pid?: number;
  fd?: number;
  data?: Uint8Array;
  end?: boolean;
  exit?: [number | null, NodeJS.Signals | null];
  close?: [number | null, NodeJS.Signals | null];
};
type Pending = { file: string; resolve: (r: HostCommandResult) => void; reject: (e: Error) => void };
type Helper = { child: ChildProcess; pending: Map<number, Pending>; streams: Map<number, RemoteChild>; nextId: number };

const state = globalThis as unknown as { __patchbaySpawner?: Helper };

function helper(): Helper {
  const current = state.__patchbaySpawner;
  if (current && current.child.connected) return current;
  const env = { PATH: process.env.PATH ?? "" } as unknown as NodeJS.ProcessEnv;
  // "advanced": output travels as bytes (the JSON channel would send a Buffer as an array of numbers).
  const child: ChildProcess = spawn(process.execPath, ["-e", HELPER], { stdio: ["ignore", "ignore", "inherit", "ipc"], env, serialization: "advanced" });
  const s: Helper = { child, pending: new Map(), streams: new Map(), nextId: 1 };
  child.on("message", (m: Reply) => {
    const remote = s.streams.get(m.id);
    if (remote) {
      remote.receive(m);
      if (m.close || (m.error && remote.pid === undefined)) {
        s.streams.delete(m.id);
        idleIfDone(s);
      }
      return;
    }
    const p = s.pending.get(m.id);
    if (!p) return;
    s.pending.delete(m.id);
    idleIfDone(s);
    if (m.result) p.resolve(m.result);
    else p.reject(new HostCommandError(`could not start ${p.file}: ${typeof m.error === "string" ? m.error : (m.error?.message ?? "unknown error")}`, null));
  });
  const fail = () => {
    if (state.__patchbaySpawner === s) state.__patchbaySpawner = undefined;
    for (const p of s.pending.values()) p.reject(new HostCommandError(`the command helper process stopped while running ${p.file}`, null));
    s.pending.clear();
    for (const r of s.streams.values()) r.lost();
    s.streams.clear();
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

function idleIfDone(s: Helper) {
  if (s.pending.size === 0 && s.streams.size === 0) idle(s.child);
}

function send(s: Helper, message: Record<string, unknown>) {
  if (s.child.connected) s.child.send(message);
}

/**
 * A process the helper started, seen from here like a ChildProcess: its pipes as streams (fd n of the child is
 * `stdio[n]`), `spawn`/`exit`/`close`/`error` events, and signals. Reading is paced: when a pipe's stream is full
 * here, the helper stops reading the child's pipe until it drains (backpressure reaches the process).
 */
export class RemoteChild extends EventEmitter {
  pid: number | undefined;
  readonly stdio: (Readable | Writable | null)[];
  private ended = false;
  /** Per readable fd: tells the helper to stop reading that pipe until this side reads again. */
  private readonly pausers = new Map<number, () => void>();

  constructor(
    private readonly helper: Helper,
    private readonly id: number,
    stdio: ("pipe" | "ignore")[],
    readable: number[],
  ) {
    super();
    this.stdio = stdio.map((kind, fd) => {
      if (kind !== "pipe") return null;
      if (readable.includes(fd)) {
        let paused = false;
        const stream: Readable = new Readable({
          read: () => {
            if (paused) {
              paused = false;
              send(this.helper, { op: "resume", id: this.id, fd });
            }
          },
        });
        this.pausers.set(fd, () => {
          if (!paused) {
            paused = true;
            send(this.helper, { op: "pause", id: this.id, fd });
          }
        });
        return stream;
      }
      return new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          send(this.helper, { op: "write", id: this.id, fd, data: chunk });
          cb();
        },
        final: (cb) => {
          send(this.helper, { op: "end", id: this.id, fd });
          cb();
        },
      });
    });
  }

  get stdin() {
    return this.stdio[0] as Writable | null;
  }
  get stdout() {
    return this.stdio[1] as Readable | null;
  }
  get stderr() {
    return this.stdio[2] as Readable | null;
  }

  /** A signal to the child (`group`: its whole process group), sent from here once its pid is known. */
  kill(signal: NodeJS.Signals, opts: { group?: boolean } = {}) {
    if (this.pid !== undefined) {
      try {
        process.kill(opts.group ? -this.pid : this.pid, signal);
      } catch {
        // ESRCH: gone already.
      }
    } else {
      send(this.helper, { op: "kill", id: this.id, signal, group: opts.group ?? false });
    }
  }

  /** @internal A message of the helper about this child. */
  receive(m: Reply) {
    if (m.pid !== undefined) {
      this.pid = m.pid;
      this.emit("spawn");
    } else if (m.error !== undefined) {
      const e = typeof m.error === "string" ? { message: m.error } : m.error;
      this.emit("error", Object.assign(new Error(e.message), { code: e.code }));
    } else if (m.fd !== undefined) {
      const stream = this.stdio[m.fd] as Readable | null;
      if (!stream) return;
      if (m.end) stream.push(null);
      else if (m.data && !stream.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))) this.pausers.get(m.fd)?.();
    } else if (m.exit) {
      this.emit("exit", ...m.exit);
    } else if (m.close) {
      this.finish(m.close[0], m.close[1]);
    }
  }

  /** @internal The helper died: the child went with it (the helper kills its groups when this process goes). */
  lost() {
    if (this.ended) return;
    this.emit("exit", null, "SIGKILL");
    this.finish(null, "SIGKILL");
  }

  private finish(code: number | null, signal: NodeJS.Signals | null) {
    if (this.ended) return;
    this.ended = true;
    for (const [fd, stream] of this.stdio.entries()) {
      if (stream instanceof Readable && !stream.readableEnded) stream.push(null);
      else if (stream && fd === 0) stream.destroy();
    }
    this.emit("close", code, signal);
  }
}

/**
 * Starts `file` from the helper with pipes for the fds marked "pipe" (`readable` lists those it writes to), in a
 * process group of its own, and gives it back as a RemoteChild: for commands whose output streams while they run
 * (the sandbox's commands), which runHostCommand's buffered result does not serve.
 */
export function spawnStreaming(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; stdio: ("pipe" | "ignore")[]; readable: number[] }): RemoteChild {
  const s = helper();
  const id = s.nextId++;
  const remote = new RemoteChild(s, id, opts.stdio, opts.readable);
  s.streams.set(id, remote);
  s.child.ref();
  s.child.channel?.ref();
  send(s, { op: "stream", id, file, args, env: opts.env, cwd: opts.cwd, stdio: opts.stdio, readable: opts.readable });
  return remote;
}

/** Runs a host command through the helper; resolves with its outcome whatever the exit code, like runHostCommand. */
export function spawnViaHelper(cmd: SpawnerCommand): Promise<HostCommandResult> {
  cmd = { ...cmd, env: cmd.env ?? HOST_TOOL_ENV };
  const s = helper();
  const id = s.nextId++;
  return new Promise((resolve, reject) => {
    s.pending.set(id, { file: cmd.file, resolve, reject });
    s.child.ref();
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
