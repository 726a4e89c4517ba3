import { describe, expect, it } from "vitest";
import { costOf, DEFAULT_PRICES, priceOf } from "./pricing";

describe("model prices", () => {
  it("matches by name, then by the longest prefix, ignoring a provider prefix", () => {
    expect(priceOf("gpt-5-codex", DEFAULT_PRICES)).toEqual(DEFAULT_PRICES["gpt-5-codex"]);
    expect(priceOf("openai/gpt-5.1-codex-mini-2025-11-01", DEFAULT_PRICES)).toEqual(DEFAULT_PRICES["gpt-5.1-codex-mini"]);
    expect(priceOf("llama3:70b", DEFAULT_PRICES)).toBeNull();
  });

  it("bills uncached input, cached input and output (reasoning included) at their prices", () => {
    const price = { input: 1, cachedInput: 0.1, output: 10 };
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 100_000, cachedInputTokens: 400_000, reasoningTokens: 50_000 }, price)).toBeCloseTo(0.6 + 0.04 + 1, 10);
    expect(costOf({ inputTokens: 10, outputTokens: 0, cachedInputTokens: 99 }, price)).toBeCloseTo(10 * 0.1 / 1e6, 12);
  });
});
