import { CliError, EXIT } from "./errors.mjs";

/**
 * A server-sent events parser (the WHATWG rules: lines end in \n, \r\n or \r; a blank line dispatches; `:` starts
 * a comment; one space after the colon is dropped; `id` without NUL sets the last event id; `retry` is digits).
 */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.data = [];
    this.eventType = "";
    this.id = null;
    this.retry = null;
  }

  /** @returns {{ id: string | null, event: string, data: string }[]} the events completed by this chunk */
  push(chunk) {
    this.buffer += chunk;
    const out = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (m[0] === "\r" && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line, out);
    }
    return out;
  }

  line(line, out) {
    if (line === "") {
      if (this.data.length > 0) out.push({ id: this.id, event: this.eventType || "message", data: this.data.join("\n") });
      this.data = [];
      this.eventType = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.eventType = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Reads a task's event stream, calling `onEvent` with each event (parsed JSON) in order. A dropped connection (or
 * one silent for longer than `idleMs`: the server sends a heartbeat every 15 s) is reopened with `Last-Event-ID`, so
 * no event is lost or repeated. Ends when `onEvent` returns "stop", or — with `follow: false` — when the server has
 * sent everything recorded so far.
 *
 * @param {{
 *   api: import("./api.mjs").Api, taskId: string, afterId?: number, follow: boolean,
 *   onEvent: (event: any) => unknown, onReconnect?: (info: { lastId: number, attempt: number, delayMs: number, reason: string }) => void,
 *   beforeReconnect?: () => unknown,
 *   idleMs?: number, maxFailures?: number, signal?: AbortSignal,
 * }} opts
 * @returns {Promise<{ lastId: number, stopped: boolean }>}
 */
export async function readTaskEvents(opts) {
  const { api, taskId, follow, onEvent, onReconnect, signal } = opts;
  const idleMs = opts.idleMs ?? 45_000;
  const maxFailures = opts.maxFailures ?? 12;
  let lastId = opts.afterId ?? 0;
  let retryMs = 1000;
  let failures = 0;

  for (;;) {
    if (signal?.aborted) return { lastId, stopped: true };
    const ctrl = new AbortController();
    const abort = () => ctrl.abort();
    signal?.addEventListener("abort", abort);
    let reason = "the connection closed";
    let idle;
    try {
      const res = await api.request("GET", `/api/tasks/${encodeURIComponent(taskId)}/events`, {
        query: { follow: follow ? undefined : "0" },
        headers: { accept: "text/event-stream", ...(lastId > 0 ? { "last-event-id": String(lastId) } : {}) },
        signal: ctrl.signal,
      });
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          reason = `nothing arrived for ${Math.round(idleMs / 1000)} s`;
          ctrl.abort();
        }, idleMs);
      };
      arm();
      let stop = false;
      const reader = res.body.getReader();
      try {
        while (!stop) {
          const { value, done } = await reader.read();
          if (done) break;
          arm();
          failures = 0;
          for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
            if (ev.id !== null && /^\d+$/.test(ev.id)) lastId = Math.max(lastId, Number(ev.id));
            let data;
            try {
              data = JSON.parse(ev.data);
            } catch {
              continue;
            }
            if ((await onEvent(data)) === "stop") {
              stop = true;
              break;
            }
          }
          if (parser.retry !== null) retryMs = parser.retry;
        }
      } finally {
        // Done with this connection either way; a failure to cancel it changes nothing.
        await reader.cancel().catch(() => undefined);
      }
      if (stop) return { lastId, stopped: true };
      if (!follow) return { lastId, stopped: false };
    } catch (err) {
      if (signal?.aborted) return { lastId, stopped: true };
      // Only a lost connection, an overloaded or restarting server and a spent rate limit are worth waiting for.
      if (err instanceof CliError && ![EXIT.UNAVAILABLE, EXIT.RATE_LIMITED].includes(err.exitCode)) throw err;
      if (err instanceof CliError) {
        reason = err.message;
        if (err.retryAfter) retryMs = Math.max(retryMs, err.retryAfter * 1000);
      } else if (!ctrl.signal.aborted) {
        reason = "the connection dropped";
      }
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener("abort", abort);
    }
    failures++;
    if (failures > maxFailures) {
      throw new CliError(`Lost the event stream of task ${taskId} and could not get it back (${reason}).`, EXIT.UNAVAILABLE, { code: "stream_lost" });
    }
    const delayMs = Math.min(30_000, retryMs * 2 ** Math.max(0, failures - 1));
    onReconnect?.({ lastId, attempt: failures, delayMs, reason });
    await sleep(delayMs, signal);
    // What happened while nobody listened may be the end: the caller looks before the stream is opened again.
    if ((await opts.beforeReconnect?.()) === "stop") return { lastId, stopped: true };
  }
}
