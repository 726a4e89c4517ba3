import "server-only";

import OpenAI from "openai";

export type ModelErrorCode = "model_auth" | "model_rate_limited" | "model_unavailable" | "model_bad_request" | "model_error" | "cancelled";

/** A model failure with a stable code and a message that is safe to show (never contains the API key). */
export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly status?: number;
  /** The error code in the server's body (`context_length_exceeded`, `insufficient_quota`, …). */
  readonly serverCode?: string;
  /** How long the server asked us to wait (retry-after-ms / retry-after), when it said. */
  readonly retryAfterMs?: number;

  constructor(code: ModelErrorCode, message: string, status?: number, extra: { serverCode?: string; retryAfterMs?: number } = {}) {
    super(`${code}: ${message}`);
    this.name = "ModelError";
    this.code = code;
    this.status = status;
    this.serverCode = extra.serverCode;
    this.retryAfterMs = extra.retryAfterMs;
  }

  /** Worth another try: rate limits (not an exhausted quota), 5xx, connection failures and failed streams. */
  get retryable(): boolean {
    if (this.serverCode === "insufficient_quota" || this.contextExceeded) return false;
    return this.code === "model_rate_limited" || this.code === "model_unavailable";
  }

  /** The conversation is longer than the model's context window. */
  get contextExceeded(): boolean {
    return (
      this.serverCode === "context_length_exceeded" ||
      /context[_ ]length|context window|maximum context|too many (input )?tokens|prompt is too long/i.test(this.message)
    );
  }

  /** The message without the code prefix. */
  get detail(): string {
    return this.message.slice(this.code.length + 2);
  }
}

/** Removes the API key, and anything that looks like one, from server-provided text. */
export function redactSecrets(text: string, apiKey?: string): string {
  let out = text;
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join("[redacted]");
  return out.replace(/\b(sk-[A-Za-z0-9_*-]{6,})/g, "[redacted]").replace(/(Bearer\s+)\S+/gi, "$1[redacted]");
}

function serverMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: unknown } | undefined;
  const msg = typeof body?.message === "string" && body.message ? body.message : err.message;
  return msg.replace(/^\d{3}\s+/, "");
}

/** retry-after-ms (OpenAI), else retry-after in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.get("retry-after-ms") !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get("retry-after");
  if (raw === null || raw.trim() === "") return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function serverCodeOf(err: InstanceType<typeof OpenAI.APIError>): string | undefined {
  const body = err.error as { code?: unknown } | undefined;
  if (typeof err.code === "string" && err.code) return err.code;
  return typeof body?.code === "string" && body.code ? body.code : undefined;
}

export function toModelError(err: unknown, opts: { apiKey?: string; signal?: AbortSignal } = {}): ModelError {
  if (err instanceof ModelError) return err;
  if (opts.signal?.aborted || err instanceof OpenAI.APIUserAbortError || (err instanceof Error && err.name === "AbortError")) {
    return new ModelError("cancelled", "the task was cancelled");
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new ModelError("model_unavailable", "the model server did not answer in time");
  if (err instanceof OpenAI.APIConnectionError) return new ModelError("model_unavailable", "could not connect to the model server");
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const detail = redactSecrets(serverMessage(err), opts.apiKey);
    const extra = { serverCode: serverCodeOf(err), retryAfterMs: retryAfterMs(err.headers) };
    if (status === 401) return new ModelError("model_auth", "the model server rejected the API key", status, extra);
    if (status === 403) return new ModelError("model_auth", `the model server refused access: ${detail}`, status, extra);
    if (status === 429) {
      return new ModelError("model_rate_limited", `the model server is rate limiting requests; try again later (${detail})`, status, extra);
    }
    if (status === undefined || status >= 500) {
      return new ModelError("model_unavailable", `the model server failed${status ? ` (HTTP ${status})` : ""}: ${detail}`, status, extra);
    }
    if (status === 400 || status === 404 || status === 409 || status === 413 || status === 422) {
      return new ModelError("model_bad_request", detail, status, extra);
    }
    return new ModelError("model_error", `HTTP ${status}: ${detail}`, status, extra);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ModelError("model_error", redactSecrets(message, opts.apiKey));
}
