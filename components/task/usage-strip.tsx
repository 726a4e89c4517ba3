import { formatCost } from "./attempt-stats";
import type { AttemptDTO } from "./types";

const n = (v: number) => v.toLocaleString("en");

/** What the attempt's model calls used: input (of it cached), output (of it reasoning), and the cost. */
export function UsageStrip({ attempt, label }: { attempt: AttemptDTO; label: string | null }) {
  const cost = formatCost(attempt.costUsd);
  const items: [string, string, string][] = [
    ["Input", n(attempt.inputTokens), "usage-input"],
    ["Cached", n(attempt.cachedInputTokens), "usage-cached"],
    ["Output", n(attempt.outputTokens), "usage-output"],
    ["Reasoning", n(attempt.reasoningTokens), "usage-reasoning"],
    ["Cost", cost ?? "no price set", "usage-cost"],
  ];
  return (
    <dl aria-label={`Token usage${label ? ` of ${label}` : ""}`} className="flex flex-wrap items-center gap-x-3 gap-y-0.5 text-xs text-muted" data-testid="usage">
      {items.map(([term, value, id]) => (
        <div key={term} className="flex items-center gap-1">
          <dt>{term}</dt>
          <dd className={`tabular-nums text-fg ${term === "Cost" && !cost ? "" : "font-mono"}`} data-testid={id} title={term === "Cost" && !cost ? "No price is configured for this model" : undefined}>
            {value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
