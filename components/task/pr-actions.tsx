"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";

type Pr = { url: string; number: number; state: string; draft?: boolean; branch?: string };

/** Create PR, then View PR / Update branch. Errors say what went wrong and keep the button for another try. */
export function PrActions({
  taskId,
  pr,
  canCreate,
  onChanged,
}: {
  taskId: string;
  pr: { url: string | null; number: number | null; state: string | null };
  canCreate: boolean;
  onChanged: () => void;
}) {
  const [draft, setDraft] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const draftId = useId();
  // The PR may have been merged or closed on GitHub since: ask for its state when the page opens.
  const live = useQuery({
    queryKey: ["pr", taskId, pr.url],
    queryFn: () => fetchJson<{ pr: Pr }>(`/api/tasks/${taskId}/pr`),
    enabled: Boolean(pr.url),
    staleTime: 60_000,
  });
  const liveState = live.data?.pr.state;
  useEffect(() => {
    if (liveState && liveState !== pr.state) onChanged();
  }, [liveState, pr.state, onChanged]);

  async function push() {
    setBusy(true);
    setError(null);
    try {
      await fetchJson<{ pr: Pr }>(`/api/tasks/${taskId}/pr`, { method: "POST", body: JSON.stringify({ draft }) });
      onChanged();
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex items-center gap-2">
        {pr.url ? (
          <>
            <a
              href={pr.url}
              target="_blank"
              rel="noreferrer"
              className="inline-flex h-8 items-center gap-1.5 rounded-lg border border-border bg-surface px-3 text-sm font-medium hover:bg-surface-2"
            >
              View PR #{pr.number}
              {pr.state && <span className="text-xs font-normal text-muted">({pr.state})</span>}
            </a>
            {canCreate && pr.state !== "merged" && pr.state !== "closed" && (
              <Button onClick={() => void push()} disabled={busy}>
                {busy && <Spinner label="Updating" />} Update branch
              </Button>
            )}
          </>
        ) : (
          canCreate && (
            <>
              <label htmlFor={draftId} className="flex items-center gap-1.5 text-xs text-muted">
                <input id={draftId} type="checkbox" checked={draft} onChange={(e) => setDraft(e.target.checked)} />
                Draft
              </label>
              <Button variant="primary" onClick={() => void push()} disabled={busy}>
                {busy && <Spinner label="Creating pull request" />} Create PR
              </Button>
            </>
          )
        )}
      </div>
      {error && (
        <div className="max-w-md">
          <ErrorNote error={error} onRetry={() => void push()} />
        </div>
      )}
    </div>
  );
}
