"use client";

import { useEffect, useId, useRef, useState } from "react";
import { LogView, type TaskEventDTO } from "@/components/log";
import { useTaskEvents } from "@/components/task/use-task-events";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import { duration } from "@/components/ui/time";

const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** Where the test is, read from its events: the latest status, and the error that ended it. */
function outcomeOf(events: TaskEventDTO[]) {
  let status = "queued";
  let message: string | null = null;
  for (const e of events) {
    if (e.type === "status" && typeof e.payload.status === "string") status = e.payload.status;
    if (e.type === "error" && typeof e.payload.message === "string") message = e.payload.message;
  }
  return { status, message, final: FINAL.has(status) };
}

const RUNNING_TEXT: Record<string, string> = {
  queued: "Waiting for a runner…",
  preparing: "Preparing the sandbox…",
  setup: "Running the setup script…",
};

/** One Test setup run: its state, elapsed time and Stop, over the live log of the script. */
export function SetupTestRun({
  taskId,
  startedAt,
  onSettled,
  onClose,
}: {
  taskId: string;
  /** When the test was started (this browser's clock), for the elapsed time. */
  startedAt: number;
  onSettled: () => void;
  onClose: () => void;
}) {
  const titleId = useId();
  const [finishedAt, setFinishedAt] = useState<number | null>(null);
  const [now, setNow] = useState(startedAt);
  const [stopping, setStopping] = useState(false);
  const [stopError, setStopError] = useState<ClientError | null>(null);
  const sectionRef = useRef<HTMLElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const { events, state } = useTaskEvents(taskId, (e) => {
    if (e.type === "status" && FINAL.has(String(e.payload.status))) setFinishedAt((at) => at ?? Date.now());
  });
  const outcome = outcomeOf(events);
  const done = outcome.final && finishedAt !== null;

  useEffect(() => {
    sectionRef.current?.scrollIntoView({ block: "nearest" });
  }, []);

  useEffect(() => {
    if (done) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [done]);

  const onSettledRef = useRef(onSettled);
  useEffect(() => {
    onSettledRef.current = onSettled;
  });
  useEffect(() => {
    if (!done) return;
    onSettledRef.current();
    // Stop went away with the run: the focus it had goes to Close, in the same place.
    if (!document.activeElement || document.activeElement === document.body) closeRef.current?.focus();
  }, [done]);

  async function stop() {
    if (stopping) return;
    setStopping(true);
    setStopError(null);
    try {
      await fetchJson(`/api/tasks/${taskId}/cancel`, { method: "POST" });
    } catch (err) {
      setStopError(asClientError(err));
      setStopping(false);
    }
  }

  const elapsed = duration((finishedAt ?? Math.max(now, startedAt)) - startedAt);
  const tone = !done ? "running" : outcome.status === "succeeded" ? "succeeded" : outcome.status === "cancelled" ? "cancelled" : "failed";
  const headline = !done
    ? stopping
      ? "Stopping…"
      : (RUNNING_TEXT[outcome.status] ?? "Running the setup script…")
    : tone === "succeeded"
      ? "Setup succeeded"
      : tone === "cancelled"
        ? "Stopped"
        : outcome.status === "timed_out"
          ? "Setup timed out"
          : "Setup failed";

  return (
    <section
      ref={sectionRef}
      aria-labelledby={titleId}
      data-testid="setup-test"
      data-state={tone}
      className="mt-3 flex scroll-mb-28 scroll-mt-16 flex-col gap-2"
    >
      <h3 id={titleId} className="sr-only">
        Setup test
      </h3>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2 rounded-xl border border-border bg-surface px-3 py-2">
        <StateIcon tone={tone} />
        {/* The outcome is announced once; the ticking time stays out of the live region. */}
        <div role="status" aria-live="polite" aria-atomic="true" className="min-w-0 flex-1 text-sm">
          <p className={`font-medium ${toneText[tone]}`}>{headline}</p>
          {done && tone === "failed" && outcome.message && <p className="mt-0.5 text-muted [overflow-wrap:anywhere]">{outcome.message}</p>}
        </div>
        <span className="text-xs tabular-nums text-muted" data-testid="setup-test-elapsed">
          <span className="sr-only">{done ? "Took " : "Elapsed "}</span>
          {elapsed}
        </span>
        {state === "reconnecting" && !done && <span className="text-xs text-warning">Reconnecting…</span>}
        {done ? (
          <Button ref={closeRef} variant="ghost" onClick={onClose} aria-label="Close the setup test">
            Close
          </Button>
        ) : (
          <Button variant="danger" onClick={() => void stop()} aria-disabled={stopping || undefined}>
            <StopIcon /> Stop
          </Button>
        )}
      </div>
      {stopError && <ErrorNote error={stopError} />}
      {/* A fixed height: the log scrolls (and follows its tail) inside it rather than growing the page. */}
      <div className="h-80">
        <LogView events={events} live={!done} label="Setup test log" waitingText="Waiting for a runner…" />
      </div>
    </section>
  );
}

type Tone = "running" | "succeeded" | "failed" | "cancelled";

const toneText: Record<Tone, string> = {
  running: "text-fg",
  succeeded: "text-success",
  failed: "text-danger",
  cancelled: "text-muted",
};

function StateIcon({ tone }: { tone: Tone }) {
  if (tone === "running") {
    return (
      <span aria-hidden className="inline-flex shrink-0 text-muted">
        <Spinner label="Running" size={14} />
      </span>
    );
  }
  const common = { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": true, fill: "none", stroke: "currentColor", strokeWidth: 1.8 } as const;
  if (tone === "succeeded") {
    return (
      <svg {...common} className="shrink-0 text-success">
        <circle cx="8" cy="8" r="6.25" />
        <path d="M5.2 8.3 7.1 10.2 10.9 6" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    );
  }
  if (tone === "failed") {
    return (
      <svg {...common} className="shrink-0 text-danger">
        <circle cx="8" cy="8" r="6.25" />
        <path d="M8 4.8v3.7M8 10.9v.1" strokeLinecap="round" />
      </svg>
    );
  }
  return (
    <svg {...common} className="shrink-0 text-muted">
      <circle cx="8" cy="8" r="6.25" />
      <path d="M6 6h4v4H6z" fill="currentColor" stroke="none" />
    </svg>
  );
}

function StopIcon() {
  return (
    <svg width="10" height="10" viewBox="0 0 16 16" aria-hidden fill="currentColor">
      <rect x="3" y="3" width="10" height="10" rx="1.5" />
    </svg>
  );
}
