import { useState } from "react";
import { Button } from "@/components/ui/button";
import { formatBytes } from "@/components/ui/bytes";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import { timeAgo } from "@/components/ui/time";
import type { EnvironmentView } from "@/lib/environments/schemas";

type Cache = EnvironmentView["cache"];

/** What the runners keep of this environment, and Reset cache (the next task runs setup from scratch). */
export function CachePanel({ url, cache, onReset }: { url: string; cache: Cache; onReset: (view: EnvironmentView) => void }) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);

  async function reset() {
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const res = await fetchJson<{ environment: EnvironmentView }>(`${url}/cache`, { method: "DELETE" });
      onReset(res.environment);
      setDone(true);
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setBusy(false);
    }
  }

  const stats: [string, string, string][] = [
    ["Prepared environments", String(cache.entries), "cache-entries"],
    ["Disk", formatBytes(cache.bytes), "cache-bytes"],
    ["Newest", cache.newestAt ? timeAgo(cache.newestAt) : "—", "cache-newest"],
  ];
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-3 rounded-xl border border-border bg-surface px-4 py-3">
        <dl className="flex flex-wrap gap-x-8 gap-y-2">
          {stats.map(([term, value, testId]) => (
            <div key={term}>
              <dt className="text-xs text-muted">{term}</dt>
              <dd className="text-sm font-medium tabular-nums" data-testid={testId}>
                {value}
              </dd>
            </div>
          ))}
        </dl>
        <Button variant="danger" onClick={() => void reset()} disabled={busy}>
          {busy && <Spinner label="Resetting" />} Reset cache
        </Button>
      </div>
      {done && (
        <p role="status" className="text-xs text-success">
          Cache reset. The next task runs the setup script from scratch.
        </p>
      )}
      {error && <ErrorNote error={error} />}
    </div>
  );
}
