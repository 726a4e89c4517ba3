import { formatBytes } from "@/components/ui/bytes";
import type { NetworkItem } from "./log-model";

/**
 * One decision of the egress proxy (a refusal, the first request to a host), or what a phase sent out. A refusal
 * says which host and why in words (colour is not the only sign), as a note assistive technology can find.
 */
export function NetworkRow({ item }: { item: NetworkItem }) {
  const phase = item.phase === "setup" ? "setup" : "agent";
  const label = <span className="text-muted">Network · {phase}:</span>;
  if (item.verdict === "summary") {
    const hosts = item.hosts ?? [];
    return (
      <div className="flex items-start gap-1.5 font-sans text-xs text-muted [overflow-wrap:anywhere]">
        <GlobeIcon />
        <span>
          {label} {item.requests ?? 0} {item.requests === 1 ? "request" : "requests"}
          {item.refused ? `, ${item.refused} refused` : ""}
          {hosts.length > 0 && " · "}
          {hosts.map((h, i) => (
            <span key={h.host}>
              {i > 0 && ", "}
              <span className="font-mono text-[12px] text-fg">{h.host}</span> {formatBytes(h.bytes)}
            </span>
          ))}
        </span>
      </div>
    );
  }
  const port = item.port && item.port !== 80 && item.port !== 443 ? `:${item.port}` : "";
  const target = (
    <span className="font-mono text-[12px] text-fg">
      {item.method ? `${item.method} ` : ""}
      {item.host}
      {port}
    </span>
  );
  if (item.verdict === "allowed") {
    return (
      <div className="flex items-start gap-1.5 font-sans text-xs text-muted [overflow-wrap:anywhere]">
        <GlobeIcon />
        <span>
          {label} {target} allowed
        </span>
      </div>
    );
  }
  return (
    <div role="note" className="flex items-start gap-1.5 font-sans text-xs [overflow-wrap:anywhere]" data-verdict="refused">
      <BlockedIcon />
      <span>
        {label} {target} <span className="font-medium text-danger">refused</span>
        {item.message && <span className="text-danger"> — {item.message}</span>}
      </span>
    </div>
  );
}

function GlobeIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden className="mt-[3px] shrink-0 text-muted" fill="none" stroke="currentColor" strokeWidth="1.4">
      <circle cx="8" cy="8" r="6.3" />
      <path d="M1.8 8h12.4M8 1.7c1.8 1.8 2.6 3.9 2.6 6.3S9.8 12.5 8 14.3C6.2 12.5 5.4 10.4 5.4 8S6.2 3.5 8 1.7Z" />
    </svg>
  );
}

function BlockedIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden className="mt-[3px] shrink-0 text-danger" fill="none" stroke="currentColor" strokeWidth="1.6">
      <circle cx="8" cy="8" r="6.2" />
      <path d="M3.6 12.4 12.4 3.6" strokeLinecap="round" />
    </svg>
  );
}
