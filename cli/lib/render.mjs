/** Human output: colours only on a terminal (and never with NO_COLOR), plain text everywhere else. */

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] };

export function painter(stream, env = process.env) {
  const on = Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
  const paint = {};
  for (const [name, [open, close]] of Object.entries(CODES)) paint[name] = (s) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : String(s));
  paint.enabled = on;
  return paint;
}

// CSI and OSC sequences, and the other escapes a command may print.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
export const stripAnsi = (s) => s.replace(ANSI, "");

export const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export const shortId = (id) => String(id).slice(0, 8);

export function statusColor(paint, status) {
  if (status === "succeeded") return paint.green(status);
  if (status === "failed" || status === "timed_out") return paint.red(status);
  if (status === "cancelled") return paint.yellow(status);
  return status;
}

export function stats(d) {
  if (!d) return "";
  return `${d.files} file${d.files === 1 ? "" : "s"}, +${d.additions} −${d.deletions}`;
}

export function ago(iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

const quoteArg = (a) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

function formatDuration(ms) {
  if (typeof ms !== "number") return "";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Prints a task's events as a terminal session: commands and their output, the agent's messages, plans, edits,
 * statuses. With several attempts every line carries its attempt ([1], [2]…) and each attempt's text is kept in
 * lines of its own, so that they never mix mid-line.
 */
export class LogPrinter {
  /** @param {{ out: NodeJS.WritableStream & { isTTY?: boolean }, attempts: { id: string, index: number }[], attemptFilter?: string | null, env?: NodeJS.ProcessEnv }} opts */
  constructor({ out, attempts, attemptFilter = null, env = process.env }) {
    this.out = out;
    this.paint = painter(out, env);
    this.index = new Map(attempts.map((a) => [a.id, a.index]));
    this.multi = attempts.length > 1 && !attemptFilter;
    this.filter = attemptFilter;
    this.partial = new Map();
    this.streamed = new Map();
    this.lastTurn = new Map();
  }

  prefix(attemptId) {
    if (!this.multi) return "";
    const i = this.index.get(attemptId);
    return this.paint.dim(`[${i === undefined ? "?" : i + 1}] `);
  }

  /** Text that may end mid-line: whole lines go out with the attempt's prefix, the rest waits. */
  text(attemptId, text) {
    const clean = this.paint.enabled ? text : stripAnsi(text);
    let buf = (this.partial.get(attemptId) ?? "") + clean.replace(/\r\n/g, "\n");
    let nl;
    while ((nl = buf.indexOf("\n")) !== -1) {
      this.out.write(this.prefix(attemptId) + buf.slice(0, nl) + "\n");
      buf = buf.slice(nl + 1);
    }
    this.partial.set(attemptId, buf);
  }

  flush(attemptId) {
    const rest = this.partial.get(attemptId);
    if (rest) this.out.write(this.prefix(attemptId) + rest + "\n");
    this.partial.set(attemptId, "");
  }

  line(attemptId, text) {
    this.flush(attemptId);
    this.out.write(this.prefix(attemptId) + text + "\n");
  }

  /** @param {{ attemptId: string, turn: number, type: string, payload: Record<string, any> }} e */
  print(e) {
    if (this.filter && e.attemptId !== this.filter) return;
    const p = e.payload ?? {};
    const { paint } = this;
    const a = e.attemptId;
    if ((this.lastTurn.get(a) ?? 0) < e.turn) {
      this.lastTurn.set(a, e.turn);
      this.line(a, paint.dim(`── follow-up ${e.turn} ──`));
    }
    switch (e.type) {
      case "status":
        this.line(a, paint.dim("── ") + statusColor(paint, String(p.status ?? "unknown")) + (p.reason ? paint.dim(` (${p.reason})`) : ""));
        break;
      case "command":
        if (p.phase === "end") {
          const bits = [p.timedOut ? "timed out" : `exit ${p.exitCode ?? "?"}`, formatDuration(p.durationMs)].filter(Boolean).join(" · ");
          this.line(a, p.exitCode === 0 && !p.timedOut ? paint.dim(`  ${bits}`) : paint.red(`  ${bits}`));
        } else {
          const argv = Array.isArray(p.argv) ? p.argv.map(String) : [];
          const cmd = argv.length ? argv.map(quoteArg).join(" ") : String(p.command ?? "");
          this.line(a, paint.bold(paint.cyan(`$ ${cmd}`)));
        }
        break;
      case "log":
        this.text(a, String(p.text ?? ""));
        break;
      case "message_delta":
        this.streamed.set(a, true);
        this.text(a, String(p.text ?? ""));
        break;
      case "message":
        if (!this.streamed.get(a)) this.text(a, String(p.text ?? ""));
        this.streamed.set(a, false);
        this.flush(a);
        break;
      case "plan": {
        const steps = Array.isArray(p.plan) ? p.plan : [];
        this.line(a, paint.bold("Plan") + (p.explanation ? paint.dim(` — ${p.explanation}`) : ""));
        for (const s of steps) {
          const mark = s?.status === "completed" ? "[x]" : s?.status === "in_progress" ? "[~]" : "[ ]";
          this.line(a, `  ${mark} ${s?.step ?? ""}`);
        }
        break;
      }
      case "patch": {
        for (const c of Array.isArray(p.changed) ? p.changed : []) this.line(a, paint.dim(`  ${c.kind ?? "edited"} ${c.path}`));
        for (const f of Array.isArray(p.failures) ? p.failures : []) this.line(a, paint.red(`  could not edit ${f.path}: ${f.message}`));
        break;
      }
      case "diff":
        this.line(a, paint.bold("Diff: ") + stats(p.stats ?? { files: 0, additions: 0, deletions: 0 }) + (p.truncated ? paint.dim(" (truncated)") : ""));
        break;
      case "error":
        this.line(a, paint.red(`error: ${p.message ?? p.code ?? "unknown"}`));
        break;
      case "network":
        if (p.kind === "refused") this.line(a, paint.yellow(`network: refused ${p.method ?? ""} ${p.host ?? ""}${p.message ? ` — ${p.message}` : ""}`.replace(/\s+/g, " ")));
        break;
      default:
        break;
    }
  }

  end() {
    for (const a of this.partial.keys()) this.flush(a);
  }
}
