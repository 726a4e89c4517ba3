import type { ModelItem } from "./log-model";
import { formatDuration } from "./log-model";

const tokens = (n: number) => n.toLocaleString("en-US");

/**
 * One call an engine made through the model gateway (model, tokens in and out, time), a call the gateway refused
 * (with why, in words), or what the phase used in all. Calm by default; a refusal is a note assistive technology
 * can find.
 */
export function ModelRow({ item }: { item: ModelItem }) {
  const label = <span className="text-muted">Model:</span>;
  if (item.verdict === "summary") {
    return (
      <div className="flex items-start gap-1.5 font-sans text-xs text-muted [overflow-wrap:anywhere]">
        <ChipIcon />
        <span>
          {label} {item.calls ?? 0} {item.calls === 1 ? "call" : "calls"}
          {item.refused ? `, ${item.refused} refused` : ""} · {tokens(item.inputTokens)} tokens in
          {item.cachedInputTokens ? ` (${tokens(item.cachedInputTokens)} cached)` : ""} · {tokens(item.outputTokens)} out
        </span>
      </div>
    );
  }
  if (item.verdict === "refused" || item.verdict === "failed") {
    return (
      <div role="note" className="flex items-start gap-1.5 font-sans text-xs [overflow-wrap:anywhere]" data-verdict={item.verdict}>
        <ChipIcon danger />
        <span>
          {label} <span className="font-mono text-[12px] text-fg">{item.method} {item.path}</span>{" "}
          <span className="font-medium text-danger">{item.verdict === "refused" ? "refused" : "failed"}</span>
          {item.message && <span className="text-danger"> — {item.message}</span>}
        </span>
      </div>
    );
  }
  return (
    <div className="flex items-start gap-1.5 font-sans text-xs text-muted [overflow-wrap:anywhere]" data-model-call>
      <ChipIcon />
      <span>
        {label} <span className="font-mono text-[12px] text-fg">{item.model ?? item.path}</span>
        {item.status && item.status >= 400 ? <span className="text-danger"> {item.status}</span> : null} · {tokens(item.inputTokens)} in
        {item.cachedInputTokens ? ` (${tokens(item.cachedInputTokens)} cached)` : ""} · {tokens(item.outputTokens)} out
        {item.durationMs !== undefined ? ` · ${formatDuration(item.durationMs)}` : ""}
      </span>
    </div>
  );
}

function ChipIcon({ danger = false }: { danger?: boolean }) {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden className={`mt-[3px] shrink-0 ${danger ? "text-danger" : "text-muted"}`} fill="none" stroke="currentColor" strokeWidth="1.4">
      <rect x="3.5" y="3.5" width="9" height="9" rx="1.5" />
      <path d="M6 1.5v2M10 1.5v2M6 12.5v2M10 12.5v2M1.5 6h2M1.5 10h2M12.5 6h2M12.5 10h2" strokeLinecap="round" />
    </svg>
  );
}
