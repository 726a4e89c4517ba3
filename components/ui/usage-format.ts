/** "840", "12.3k", "1.2M": token counts at a glance. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0).replace(/\.0$/, "")}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0).replace(/\.0$/, "")}M`;
}

/** "$0.04", "$1.23", "<$0.01"; null when the model has no price (show tokens only). */
export function formatCost(usd: number | null): string | null {
  if (usd === null || !Number.isFinite(usd)) return null;
  if (usd > 0 && usd < 0.01) return "<$0.01";
  return `$${usd.toFixed(usd < 100 ? 2 : 0)}`;
}

export type Usage = { inputTokens: number; outputTokens: number; cachedInputTokens: number; reasoningTokens: number; costUsd: number | null };

/** "12.3k tokens · $0.04" (or tokens alone), with the details for a tooltip. */
export function usageSummary(u: Usage): { short: string; detail: string } {
  const total = u.inputTokens + u.outputTokens;
  const cost = formatCost(u.costUsd);
  const short = `${formatTokens(total)} tokens${cost ? ` · ${cost}` : ""}`;
  const detail =
    `${u.inputTokens.toLocaleString("en")} input (${u.cachedInputTokens.toLocaleString("en")} cached), ` +
    `${u.outputTokens.toLocaleString("en")} output (${u.reasoningTokens.toLocaleString("en")} reasoning)` +
    (cost ? `, ${cost}` : ", no price configured for this model");
  return { short, detail };
}
