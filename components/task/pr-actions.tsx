"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";

type Pr = { url: string; number: number; state: string; draft?: boolean; branch?: string };
type PushOutcome = { commits: number; message: string };

/**
 * Create PR (from the attempt on screen, into the base branch the person picks), then View PR / Update branch.
 * Each push says what it did; errors say what went wrong and keep the button for another try.
 */
export function PrActions({
  taskId,
  attemptId,
  attemptLabel,
  defaultBase,
  repoFullName,
  pr,
  canCreate,
  onChanged,
}: {
  taskId: string;
  attemptId: string;
  /** "Attempt 2" when the task has several attempts, else null. */
  attemptLabel: string | null;
  /** The task's branch: the PR's base unless the person picks another. */
  defaultBase: string;
  /** For the base branch suggestions (the repository's branches, read when the field is first focused). */
  repoFullName: string;
  pr: { url: string | null; number: number | null; state: string | null; base: string | null };
  canCreate: boolean;
  onChanged: () => void;
}) {
  const [draft, setDraft] = useState(false);
  const [base, setBase] = useState(defaultBase);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const draftId = useId();
  const baseId = useId();
  const listId = useId();
  const [wantBranches, setWantBranches] = useState(false);
  const branches = useQuery({
    queryKey: ["branches", repoFullName],
    queryFn: () => fetchJson<{ branches: { name: string }[] }>(`/api/repos/${repoFullName}/branches`),
    enabled: wantBranches && !pr.url,
    staleTime: 60_000,
  });
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
    setOutcome(null);
    try {
      const body = pr.url ? { attemptId } : { draft, attemptId, base: base.trim() || defaultBase };
      const res = await fetchJson<{ pr: Pr; push?: PushOutcome }>(`/api/tasks/${taskId}/pr`, { method: "POST", body: JSON.stringify(body) });
      setOutcome(res.push?.message ?? null);
      onChanged();
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setBusy(false);
    }
  }

  const from = attemptLabel ? ` from ${attemptLabel}` : "";
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap items-center justify-end gap-2">
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
              {pr.base && <span className="text-xs font-normal text-muted">into {pr.base}</span>}
            </a>
            {canCreate && pr.state !== "merged" && pr.state !== "closed" && (
              <Button onClick={() => void push()} disabled={busy}>
                {busy && <Spinner label="Updating" />} Update branch{from}
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
              <label htmlFor={baseId} className="flex items-center gap-1.5 text-xs text-muted">
                Into
                <input
                  id={baseId}
                  value={base}
                  onChange={(e) => setBase(e.target.value)}
                  onFocus={() => setWantBranches(true)}
                  list={listId}
                  aria-label="Base branch"
                  spellCheck={false}
                  className="h-8 w-28 rounded-lg border border-border bg-surface px-2 font-mono text-xs text-fg focus:outline-none focus-visible:ring-2 focus-visible:ring-ring/50"
                />
                <datalist id={listId}>
                  {branches.data?.branches.map((b) => <option key={b.name} value={b.name} />)}
                </datalist>
              </label>
              <Button variant="primary" onClick={() => void push()} disabled={busy || !base.trim()}>
                {busy && <Spinner label="Creating pull request" />} Create PR{from}
              </Button>
            </>
          )
        )}
      </div>
      {outcome && (
        <p role="status" className="max-w-md text-right text-xs text-muted" data-testid="push-outcome">
          {outcome}
        </p>
      )}
      {error && (
        <div className="max-w-md">
          <ErrorNote error={error} onRetry={() => void push()} />
        </div>
      )}
    </div>
  );
}
