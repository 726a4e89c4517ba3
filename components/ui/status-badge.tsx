import { Spinner } from "./spinner";

const labels: Record<string, string> = {
  queued: "Queued",
  preparing: "Preparing",
  setup: "Setting up",
  running: "Working",
  finalizing: "Finishing",
  succeeded: "Ready",
  failed: "Failed",
  cancelled: "Stopped",
  timed_out: "Timed out",
};

const tones: Record<string, string> = {
  succeeded: "text-success",
  failed: "text-danger",
  timed_out: "text-danger",
  cancelled: "text-muted",
};

export function StatusBadge({ status }: { status: string }) {
  const busy = ["queued", "preparing", "setup", "running", "finalizing"].includes(status);
  return (
    <span className={`inline-flex items-center gap-1.5 text-xs font-medium ${tones[status] ?? "text-muted"}`} data-status={status}>
      {busy && <Spinner size={12} label={labels[status] ?? status} />}
      {labels[status] ?? status}
    </span>
  );
}

export function DiffCounts({ additions, deletions }: { additions: number; deletions: number }) {
  return (
    <span className="font-mono text-xs tabular-nums">
      <span className="text-add">+{additions}</span> <span className="text-del">−{deletions}</span>
    </span>
  );
}
