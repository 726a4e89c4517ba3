import "server-only";
import type { Usage } from "./types";

/** US dollars per million tokens: uncached input, cached input, output (reasoning tokens bill as output). */
export type ModelPrice = { input: number; cachedInput: number; output: number };

/**
 * List prices of common models (USD per 1M tokens) as published by their providers; MODEL_PRICES overrides or adds
 * entries (a JSON object of the same shape), since prices change and self-hosted models cost what you say.
 * A model is matched by exact name, else by the longest listed prefix (gpt-5-codex-2025… → gpt-5-codex).
 */
export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  "gpt-5-codex": { input: 1.25, cachedInput: 0.125, output: 10 },
  "gpt-5.1-codex": { input: 1.25, cachedInput: 0.125, output: 10 },
  "gpt-5.1-codex-mini": { input: 0.25, cachedInput: 0.025, output: 2 },
  "gpt-5": { input: 1.25, cachedInput: 0.125, output: 10 },
  "gpt-5-mini": { input: 0.25, cachedInput: 0.025, output: 2 },
  "gpt-4.1": { input: 2, cachedInput: 0.5, output: 8 },
  "o4-mini": { input: 1.1, cachedInput: 0.275, output: 4.4 },
  "claude-sonnet-4": { input: 3, cachedInput: 0.3, output: 15 },
  "claude-opus-4": { input: 15, cachedInput: 1.5, output: 75 },
};

export function priceOf(model: string, prices: Record<string, ModelPrice>): ModelPrice | null {
  const name = model.toLowerCase().replace(/^[a-z0-9-]+\//, ""); // provider prefixes (openai/…)
  if (prices[name]) return prices[name];
  const prefix = Object.keys(prices)
    .filter((k) => name.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? prices[prefix] : null;
}

/** The cost of `usage` at `price`, in US dollars. */
export function costOf(usage: Usage, price: ModelPrice): number {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  return ((usage.inputTokens - cached) * price.input + cached * price.cachedInput + usage.outputTokens * price.output) / 1_000_000;
}
