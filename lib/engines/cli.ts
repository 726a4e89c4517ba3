import "server-only";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import type { Sandbox } from "@/lib/sandbox";

/**
 * What the CLI engines share: finding their binary in node_modules, running it in the attempt's sandbox with its
 * JSONL stdout parsed line by line as it streams (no output cap: the stream is the engine's whole report), and
 * carrying its session (its home directory's state) from one turn to the next as an archive the host stores but
 * never opens.
 */

/** Where an engine's package appears inside the sandbox (read-only). */
export const SANDBOX_ENGINE_DIR = "/opt/patchbay/engine";
/** The previous turn's saved state inside the sandbox (read-only), unpacked into $HOME before the engine starts. */
export const SANDBOX_STATE_FILE = "/opt/patchbay/engine-state.tgz";
/** The engine's home inside the sandbox (the sandbox's HOME). */
export const ENGINE_HOME = "/tmp/home";

/** The gateway as an engine inside the sandbox reaches it (the sandbox bridges it to the runner's socket). */
export const GATEWAY_URL = "http://127.0.0.1:3129";
/** Engines insist on a key; the gateway drops it and adds the real one. */
export const GATEWAY_DUMMY_KEY = "patchbay-gateway";

export class EngineUnavailableError extends Error {
  readonly code = "engine_unavailable";
}

/** The directory of an installed platform package holding `binary`, or an error saying how to install it. */
export function locateEngine(opts: { nodeModules: string; packageName: string; platformPackage: string; binary: string; label: string }): {
  dir: string;
  binary: string;
} | { error: string } {
  const dir = path.join(opts.nodeModules, opts.platformPackage);
  const binary = path.join(dir, opts.binary);
  try {
    fs.accessSync(binary, fs.constants.X_OK);
    return { dir, binary: opts.binary };
  } catch {
    return {
      error:
        `${opts.label} is not installed on this runner (${opts.platformPackage} has no ${path.basename(opts.binary)}). ` +
        `Install it with \`npm install ${opts.packageName}\` in Patchbay's folder (its Linux binary comes in ${opts.platformPackage}), or pick another engine.`,
    };
  }
}

/** Splits a byte stream into lines and hands each parsed JSON object to `onEvent`, in order, awaiting each one. */
export class JsonLines extends Writable {
  private buffer = "";
  private decoder = new TextDecoder();
  /** Lines that were not JSON (a CLI's stray prints), kept for the error message. */
  readonly stray: string[] = [];

  constructor(private readonly onEvent: (event: Record<string, unknown>) => void | Promise<void>) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void) {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    void this.drainLines().then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void) {
    this.buffer += this.decoder.decode();
    if (this.buffer && !this.buffer.endsWith("\n")) this.buffer += "\n";
    void this.drainLines().then(() => done(), done);
  }

  private async drainLines() {
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        if (this.stray.length < 20) this.stray.push(line.slice(0, 500));
        continue;
      }
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) await this.onEvent(parsed as Record<string, unknown>);
    }
  }
}

const STATE_MAX_BYTES = 256 * 1024 * 1024;

/** Unpacks the previous turn's state into the engine's home (nothing to do on a first turn). */
export async function restoreState(sandbox: Sandbox, hasState: boolean): Promise<string | null> {
  if (!hasState) return null;
  const r = await sandbox.exec({ argv: ["tar", "-xzf", SANDBOX_STATE_FILE, "-C", ENGINE_HOME], timeoutMs: 60_000 });
  return r.exitCode === 0 ? null : `could not restore the engine's session (${r.stderr.trim().slice(0, 200) || `exit ${r.exitCode}`})`;
}

/**
 * Archives `entries` of the engine's home (made inside the sandbox; the host only stores the bytes) into
 * `stateFile`, replacing the previous one only when the new archive is complete.
 */
export async function saveState(sandbox: Sandbox, stateFile: string, entries: string[], exclude: string[] = []): Promise<string | null> {
  await fsp.mkdir(path.dirname(stateFile), { recursive: true });
  const part = `${stateFile}.part`;
  const out = fs.createWriteStream(part, { mode: 0o644 });
  const closed = new Promise<void>((resolve, reject) => {
    out.on("close", () => resolve());
    out.on("error", reject);
  });
  const r = await sandbox.exec({
    argv: ["tar", "-czf", "-", "-C", ENGINE_HOME, "--ignore-failed-read", ...exclude.map((e) => `--exclude=${e}`), ...entries],
    timeoutMs: 120_000,
    stdoutSink: out,
    maxStdoutBytes: STATE_MAX_BYTES,
  });
  await closed.catch(() => undefined);
  if (r.exitCode !== 0 || r.stdoutOverflow) {
    await fsp.rm(part, { force: true });
    return r.stdoutOverflow ? "the engine's session is larger than 256 MiB and was not kept" : `could not keep the engine's session (${r.stderr.trim().slice(0, 200) || `exit ${r.exitCode}`})`;
  }
  await fsp.rename(part, stateFile);
  return null;
}

/** Runs the engine's CLI in the sandbox, its JSONL stdout fed to `onEvent` as it comes, its prompt on stdin. */
export async function runEngineCli(opts: {
  sandbox: Sandbox;
  argv: string[];
  stdin: string;
  signal: AbortSignal;
  onEvent: (event: Record<string, unknown>) => void | Promise<void>;
  /** Wall clock of the whole run; the attempt's own timeout (through `signal`) usually ends it first. */
  timeoutMs?: number;
}) {
  const lines = new JsonLines(opts.onEvent);
  const finished = new Promise<void>((resolve) => {
    lines.on("finish", () => resolve());
    lines.on("error", () => resolve());
  });
  let stderr = "";
  const result = await opts.sandbox.exec({
    argv: opts.argv,
    stdin: opts.stdin,
    timeoutMs: opts.timeoutMs ?? 24 * 3600_000,
    signal: opts.signal,
    stdoutSink: lines,
    maxStdoutBytes: 1024 * 1024 * 1024,
    onOutput: (stream, text) => {
      if (stream === "stderr" && stderr.length < 64 * 1024) stderr += text;
    },
  });
  // The sandbox ends stdout when the CLI exits; never wait forever on a stream that did not close.
  await Promise.race([finished, new Promise((r) => setTimeout(r, 5_000).unref())]);
  return { result, stderr: stderr || result.stderr, stray: lines.stray };
}

/** The last lines of a CLI's stderr, for an error message (never a whole log). */
export function stderrTail(stderr: string, lines = 6): string {
  return stderr
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^WARNING: proceeding, even though we could not create PATH aliases/.test(l) && !/^Reading additional input from stdin/.test(l))
    .slice(-lines)
    .join("\n")
    .slice(0, 1000);
}

/** What every engine is told about Patchbay's conventions (citations the task page links to evidence). */
export function patchbayNotes(opts: { mode: "code" | "ask"; firstChunk: number }): string {
  const lines = [
    "You work inside Patchbay, a sandbox with the repository checked out at /workspace. Nothing you run reaches the internet unless the environment allows it.",
    `Patchbay numbers the shell commands you run in order: the first is c${opts.firstChunk}, the next c${opts.firstChunk + 1}, and so on.`,
    "In your final message, cite files as 【F:path/relative/to/repo†L<start>-L<end>】 and command output as 【c<n>†L<start>-L<end>】 (lines of that command's output).",
  ];
  if (opts.mode === "ask")
    lines.push(
      "This is an Ask task: answer the question. The checkout is read-only; do not try to change files.",
      'If code changes would help, propose each as a task the user can start, in a block of its own: a line `:::task-stub{title="Short imperative title"}`, what to change and where, then a line `:::`.',
    );
  return lines.join("\n");
}
