import "server-only";

import { ModelError } from "./errors";
import type { RetryInfo } from "./types";

export const DEFAULT_MAX_RETRY_DELAY_MS = 120_000;
const BASE_DELAY_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/** Exponential backoff with ±20% jitter (so parallel attempts do not retry in lockstep). */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ModelError("cancelled", "the task was cancelled"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ModelError("cancelled", "the task was cancelled"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export type RetryOptions = {
  maxRetries: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void | Promise<void>;
  /**
   * False once the failed call already streamed something to the log: retrying then would show the person the same
   * text twice, so the failure stands.
   */
  canRetry?: () => boolean;
};

/**
 * Runs one model call, retrying rate limits, 5xx, connection failures and failed streams up to `maxRetries` times.
 * The wait honours the server's retry-after (a longer wait than `maxDelayMs` fails at once), else backs off
 * exponentially; `onRetry` is told before each wait so the log can show it.
 */
export async function withRetries<T>(call: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const maxDelay = opts.maxDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ModelError) || !err.retryable || attempt > opts.maxRetries || opts.signal?.aborted) throw err;
      if (opts.canRetry && !opts.canRetry()) throw err;
      const delayMs = err.retryAfterMs ?? backoffMs(attempt);
      if (delayMs > maxDelay) throw err;
      await opts.onRetry?.({ attempt, maxRetries: opts.maxRetries, delayMs, code: err.code, status: err.status, message: err.detail });
      await sleep(delayMs, opts.signal);
    }
  }
}
