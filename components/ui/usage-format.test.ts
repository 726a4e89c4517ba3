import { describe, expect, it } from "vitest";
import { formatCost, formatTokens, usageSummary } from "./usage-format";

describe("usage at a glance", () => {
  it("shortens token counts", () => {
    expect(formatTokens(840)).toBe("840");
    expect(formatTokens(1000)).toBe("1k");
    expect(formatTokens(12_345)).toBe("12k");
    expect(formatTokens(1_234)).toBe("1.2k");
    expect(formatTokens(1_250_000)).toBe("1.3M");
  });

  it("writes a cost, or nothing when the model has no price", () => {
    expect(formatCost(null)).toBeNull();
    expect(formatCost(0.004)).toBe("<$0.01");
    expect(formatCost(1.234)).toBe("$1.23");
    expect(formatCost(0)).toBe("$0.00");
  });

  it("sums input and output, with the details for a tooltip", () => {
    const u = { inputTokens: 20_000, cachedInputTokens: 5_000, outputTokens: 3_000, reasoningTokens: 1_000, costUsd: 0.05 };
    expect(usageSummary(u).short).toBe("23k tokens · $0.05");
    expect(usageSummary(u).detail).toBe("20,000 input (5,000 cached), 3,000 output (1,000 reasoning), $0.05");
    expect(usageSummary({ ...u, costUsd: null }).short).toBe("23k tokens");
  });
});
