import "server-only";

import OpenAI from "openai";

export type ModelErrorCode = "model_auth" | "model_rate_limited" | "model_unavailable" | "model_bad_request" | "model_error" | "cancelled";

/** A model failure with a stable code and a message that is safe to show (never contains the API key). */
export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly status?: number;

  constructor(code: ModelErrorCode, message: string, status?: number) {
    super(`${code}: ${message}`);
    this.name = "ModelError";
    this.code = code;
    this.status = status;
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
    if (status === 401) return new ModelError("model_auth", "the model server rejected the API key", status);
    if (status === 403) return new ModelError("model_auth", `the model server refused access: ${detail}`, status);
    if (status === 429) return new ModelError("model_rate_limited", `the model server is rate limiting requests; try again later (${detail})`, status);
    if (status === undefined || status >= 500) {
      return new ModelError("model_unavailable", `the model server failed${status ? ` (HTTP ${status})` : ""}: ${detail}`, status);
    }
    if (status === 400 || status === 404 || status === 409 || status === 413 || status === 422) {
      return new ModelError("model_bad_request", detail, status);
    }
    return new ModelError("model_error", `HTTP ${status}: ${detail}`, status);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ModelError("model_error", redactSecrets(message, opts.apiKey));
}
