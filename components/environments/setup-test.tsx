"use client";

import { useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import { SetupTestRun } from "./setup-test-run";

type Run = { taskId: string; startedAt: number };

/**
 * Test setup: runs the saved setup script alone in a sandbox and shows its log live under the script. It tests
 * what is saved (variables, secrets and the setup's internet access included), so unsaved changes are named and
 * "Save and test" offered.
 */
export function SetupTest({
  url,
  savedScript,
  draftScript,
  dirty,
  onSave,
}: {
  /** The environment's API path, /api/environments/<owner>/<repo>. */
  url: string;
  savedScript: string;
  draftScript: string;
  dirty: boolean;
  /** Saves the form; false when it was refused (the form shows why). */
  onSave: () => Promise<boolean>;
}) {
  const [run, setRun] = useState<Run | null>(null);
  const [running, setRunning] = useState(false);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const primaryRef = useRef<HTMLButtonElement>(null);
  const hasSaved = savedScript.trim() !== "";
  const busy = starting || running;

  async function start(saveFirst: boolean) {
    if (busy) return;
    setError(null);
    setStarting(true);
    try {
      if (saveFirst && !(await onSave())) return;
      const res = await fetchJson<{ taskId: string; attemptId: string }>(`${url}/test-setup`, { method: "POST" });
      setRun({ taskId: res.taskId, startedAt: Date.now() });
      setRunning(true);
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setStarting(false);
    }
  }

  // The primary button is one element whatever its label, so it keeps the focus from "Save and test" to "Testing…".
  const primaryLabel = busy ? "Testing…" : dirty ? "Save and test" : "Test setup";
  const primaryUnavailable = !busy && (dirty ? draftScript.trim() === "" : !hasSaved);
  // Worded apart from the save bar's "Unsaved changes", which says it for the whole form.
  const hint = dirty
    ? draftScript.trim() === ""
      ? "Write a setup script and save it to test it."
      : "Not saved yet: Test setup runs the saved script."
    : hasSaved
      ? "Runs the saved script in a fresh sandbox, as a task would, without the agent."
      : "Save a setup script to test it.";

  return (
    <div className="mt-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <Button
          ref={primaryRef}
          aria-disabled={busy || undefined}
          disabled={primaryUnavailable}
          onClick={() => void start(dirty)}
          className={busy ? "cursor-default" : ""}
        >
          <span aria-hidden className="inline-flex">{busy ? <Spinner label="Testing" size={12} /> : <PlayIcon />}</span>
          {primaryLabel}
        </Button>
        {dirty && hasSaved && (
          <Button variant="ghost" aria-disabled={busy || undefined} onClick={() => void start(false)}>
            Test saved script
          </Button>
        )}
        <span className="text-xs text-muted">{hint}</span>
      </div>
      {error && (
        <div className="mt-2">
          <ErrorNote error={error} />
        </div>
      )}
      {run && (
        <SetupTestRun
          key={run.taskId}
          taskId={run.taskId}
          startedAt={run.startedAt}
          onSettled={() => setRunning(false)}
          onClose={() => {
            setRun(null);
            setRunning(false);
            primaryRef.current?.focus();
          }}
        />
      )}
    </div>
  );
}

function PlayIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden className="text-muted" fill="currentColor">
      <path d="M4.5 2.8v10.4a.6.6 0 0 0 .9.5l8.1-5.2a.6.6 0 0 0 0-1L5.4 2.3a.6.6 0 0 0-.9.5Z" />
    </svg>
  );
}
