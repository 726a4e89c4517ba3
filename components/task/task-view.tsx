"use client";

import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useMemo, useState } from "react";
import { DiffView } from "@/components/diff";
import { LogView } from "@/components/log";
import type { Citation, DiffFocus, LogFocus, TaskEventDTO } from "@/components/log/types";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { DiffCounts, StatusBadge } from "@/components/ui/status-badge";
import { Spinner } from "@/components/ui/spinner";
import { onTablistKeyDown } from "@/components/ui/tablist-keys";
import { duration } from "@/components/ui/time";
import { ENGINE_LABELS } from "@/lib/engines/names";
import { AgentMessage } from "./agent-message";
import { attemptName, looksPreselected, workedMsOf } from "./attempt-stats";
import { CompareView } from "./compare-view";
import { FilePeek } from "./file-peek";
import { FollowUpBox, type FollowUpMode } from "./follow-up-box";
import { PlanList } from "./plan-list";
import { PrActions } from "./pr-actions";
import { PromptBubble } from "./prompt-bubble";
import { digestTurns } from "./turn-digest";
import { ACTIVE_STATUSES, WORKING_STATUSES, type AttemptDTO, type TaskDetailDTO } from "./types";
import { UsageStrip } from "./usage-strip";
import { useTaskEvents } from "./use-task-events";

type Pane = "diff" | "logs";
const COMPARE = "compare";
const EMPTY: TaskEventDTO[] = [];

function diffKey(taskId: string, a: AttemptDTO) {
  return ["diff", taskId, a.id, a.diffStats?.additions, a.diffStats?.deletions, a.turn, a.status] as const;
}
function fetchDiff(taskId: string, attemptId: string) {
  return fetch(`/api/tasks/${taskId}/attempts/${attemptId}/diff`).then((r) => (r.ok ? r.text() : ""));
}

export function TaskView({ initial }: { initial: TaskDetailDTO }) {
  const taskId = initial.task.id;
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ["task", taskId],
    queryFn: () => fetchJson<TaskDetailDTO>(`/api/tasks/${taskId}`),
    initialData: initial,
  });
  const { task, attempts, turns } = detail.data;
  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: ["task", taskId] });
    void queryClient.invalidateQueries({ queryKey: ["tasks"] });
  }, [queryClient, taskId]);
  const { events } = useTaskEvents(taskId, (e) => {
    if (e.type === "status" || e.type === "diff") refresh();
  });

  const multi = attempts.length > 1;
  // What is on screen: one attempt (the person's pick, else the chosen one, else the first), or the comparison.
  const [selected, setSelected] = useState<string | null>(null);
  const comparing = selected === COMPARE && multi;
  const attempt =
    attempts.find((a) => a.id === selected) ?? attempts.find((a) => a.id === task.chosenAttemptId) ?? attempts[0];
  const label = attempt && multi ? attemptName(attempt) : null;

  // The pane follows the attempt (its live log while it works, its diff once it has finished) until the person picks one.
  const [paneChoice, setPaneChoice] = useState<Pane | null>(null);
  const attemptRunning = attempt ? ACTIVE_STATUSES.includes(attempt.status) : false;
  const pane: Pane = task.mode !== "code" ? "logs" : (paneChoice ?? (attemptRunning ? "logs" : "diff"));
  const choosePane = (p: Pane) => {
    setPaneChoice(p);
    setPeek(null);
  };
  const [logFocus, setLogFocus] = useState<LogFocus | undefined>();
  const [diffFocus, setDiffFocus] = useState<DiffFocus | undefined>();
  const [peek, setPeek] = useState<{ path: string; lines?: [number, number] } | null>(null);
  const [copied, setCopied] = useState(false);
  const [actionError, setActionError] = useState<ClientError | null>(null);
  const [choosing, setChoosing] = useState(false);
  const [retrying, setRetrying] = useState(false);

  const byAttempt = useMemo(() => {
    const map = new Map<string, TaskEventDTO[]>();
    for (const e of events) {
      const list = map.get(e.attemptId);
      if (list) list.push(e);
      else map.set(e.attemptId, [e]);
    }
    return map;
  }, [events]);
  const eventsOf = useCallback((id: string) => byAttempt.get(id) ?? EMPTY, [byAttempt]);
  const attemptEvents = attempt ? eventsOf(attempt.id) : EMPTY;
  const digests = useMemo(() => digestTurns(attemptEvents), [attemptEvents]);
  const delivered = useMemo(() => attemptEvents.filter((e) => e.type === "steer").map((e) => String(e.payload.text ?? "")), [attemptEvents]);

  const running = attempts.some((a) => ACTIVE_STATUSES.includes(a.status));
  const diff = useQuery({
    queryKey: attempt ? diffKey(taskId, attempt) : ["diff", taskId, "none"],
    queryFn: () => fetchDiff(taskId, attempt!.id),
    enabled: Boolean(attempt?.hasDiff) && !comparing,
  });
  const allDiffs = useQueries({
    queries: attempts.map((a) => ({ queryKey: diffKey(taskId, a), queryFn: () => fetchDiff(taskId, a.id), enabled: comparing && a.hasDiff })),
  });
  const diffs = useMemo(() => new Map(attempts.map((a, i) => [a.id, a.hasDiff ? allDiffs[i]?.data : ""])), [attempts, allDiffs]);

  function openCitation(c: Citation) {
    if (c.kind === "chunk") {
      setPaneChoice("logs");
      setPeek(null);
      setLogFocus({ chunkId: c.chunkId, lines: c.lines });
      return;
    }
    const inDiff = diff.data?.includes(`b/${c.path}\n`) ?? false;
    if (inDiff) {
      setPaneChoice("diff");
      setPeek(null);
      setDiffFocus({ path: c.path, lines: c.lines });
    } else {
      setPeek({ path: c.path, lines: c.lines });
    }
  }

  async function act(run: () => Promise<void>) {
    setActionError(null);
    try {
      await run();
    } catch (err) {
      setActionError(asClientError(err));
    }
  }
  // Stop the attempt on screen (Best-of-N: the others keep working), or every attempt still working.
  const stop = (attemptId?: string) =>
    act(async () => {
      await fetchJson(`/api/tasks/${taskId}/cancel`, { method: "POST", body: JSON.stringify(attemptId ? { attemptId } : {}) });
      refresh();
    });
  const setArchived = (archived: boolean) =>
    act(async () => {
      await fetchJson(`/api/tasks/${taskId}`, { method: "PATCH", body: JSON.stringify({ archived }) });
      refresh();
    });
  const choose = (attemptId: string) =>
    act(async () => {
      setChoosing(true);
      try {
        await fetchJson(`/api/tasks/${taskId}`, { method: "PATCH", body: JSON.stringify({ chosenAttemptId: attemptId }) });
        await queryClient.invalidateQueries({ queryKey: ["task", taskId] });
        void queryClient.invalidateQueries({ queryKey: ["tasks"] });
      } finally {
        setChoosing(false);
      }
    });
  const retry = (a: AttemptDTO) =>
    act(async () => {
      setRetrying(true);
      try {
        const res = await fetchJson<{ attempt: { id: string } }>(`/api/tasks/${taskId}/attempts`, {
          method: "POST",
          body: JSON.stringify({ retryOf: a.id }),
        });
        await queryClient.invalidateQueries({ queryKey: ["task", taskId] });
        void queryClient.invalidateQueries({ queryKey: ["tasks"] });
        setSelected(res.attempt.id);
        setPaneChoice(null);
      } finally {
        setRetrying(false);
      }
    });
  async function copyPatch() {
    const text = diff.data ?? "";
    await navigator.clipboard?.writeText(text).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  }

  const final = attempt ? !ACTIVE_STATUSES.includes(attempt.status) : false;
  const canPr = task.mode === "code" && attempt?.status === "succeeded" && Boolean(attempt?.hasDiff);
  const prFromOther = Boolean(task.prBranch && attempt && attempt.branchName !== task.prBranch && task.prUrl);
  const prOwner = attempts.find((a) => a.branchName === task.prBranch);
  const followUpMode: FollowUpMode = !attempt
    ? "wait"
    : WORKING_STATUSES.includes(attempt.status)
      ? task.engine && task.engine !== "patchbay"
        ? "steer-unsupported"
        : "steer"
      : ACTIVE_STATUSES.includes(attempt.status)
        ? "wait"
        : "follow-up";
  // The first prompt belongs to every attempt; a follow-up to the attempt it continued.
  const shownTurns = turns.filter((t) => t.attemptId === null || t.attemptId === attempt?.id);

  return (
    <div className="pt-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <Link href="/" className="text-xs text-muted hover:text-fg">
            ← Tasks
          </Link>
          <h1 className="mt-1 truncate text-lg font-semibold tracking-tight">{task.title}</h1>
          <p className="mt-0.5 flex flex-wrap items-center gap-x-2 text-xs text-muted">
            <span>{task.repoFullName}</span>·<span>{task.baseBranch}</span>·<span>{task.mode === "ask" ? "Ask" : "Code"}</span>·
            <span data-testid="task-engine">{ENGINE_LABELS[task.engine] ?? ENGINE_LABELS.patchbay}</span>·
            <StatusBadge status={task.status} />
            {task.workedMs > 0 && <span>· worked {duration(task.workedMs)}</span>}
            {task.archived && <span className="rounded bg-surface-2 px-1.5">Archived</span>}
          </p>
        </div>
        <div className="flex flex-wrap items-start gap-2">
          {running && multi && !comparing && attemptRunning && attempt && (
            <Button variant="danger" onClick={() => void stop(attempt.id)}>
              Stop {attemptName(attempt)}
            </Button>
          )}
          {running && (
            <Button variant={multi && !comparing && attemptRunning ? "ghost" : "danger"} onClick={() => void stop()}>
              {multi ? "Stop all" : "Stop"}
            </Button>
          )}
          <Button variant="ghost" onClick={() => void setArchived(!task.archived)}>
            {task.archived ? "Unarchive" : "Archive"}
          </Button>
        </div>
      </div>
      {actionError && (
        <div className="mt-2">
          <ErrorNote error={actionError} />
        </div>
      )}

      {multi && (
        <div className="mt-4 flex items-center gap-2">
          <div role="tablist" aria-label="Attempts" className="flex min-w-0 flex-nowrap items-stretch gap-1.5 overflow-x-auto" onKeyDown={onTablistKeyDown}>
            {attempts.map((a) => {
              const on = !comparing && a.id === attempt?.id;
              return (
                <button
                  key={a.id}
                  role="tab"
                  type="button"
                  aria-selected={on}
                  tabIndex={on || (comparing && a.id === attempt?.id) ? 0 : -1}
                  onClick={() => setSelected(a.id)}
                  data-testid="attempt-tab"
                  className={`flex shrink-0 items-center gap-2 whitespace-nowrap rounded-lg border px-2.5 py-1.5 text-left text-xs ${on ? "border-fg bg-surface" : "border-border hover:bg-surface-2"}`}
                >
                  <span className="font-medium">
                    {attemptName(a)}
                    {a.id === task.chosenAttemptId && <span className="ml-1 text-muted">(chosen)</span>}
                  </span>
                  <StatusBadge status={a.status} />
                  {a.diffStats && a.diffStats.files > 0 && <DiffCounts additions={a.diffStats.additions} deletions={a.diffStats.deletions} />}
                </button>
              );
            })}
          </div>
          <button
            type="button"
            aria-pressed={comparing}
            onClick={() => setSelected(comparing ? (attempt?.id ?? null) : COMPARE)}
            className={`flex shrink-0 items-center gap-1.5 whitespace-nowrap rounded-lg border px-2.5 py-1.5 text-xs font-medium ${comparing ? "border-fg bg-surface" : "border-border hover:bg-surface-2"}`}
          >
            <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden fill="none" stroke="currentColor" strokeWidth="1.6">
              <path d="M2.5 2.5h4.5v11H2.5zM9 2.5h4.5v11H9z" strokeLinejoin="round" />
            </svg>
            Compare
          </button>
        </div>
      )}

      {comparing ? (
        <div className="mt-3">
          <CompareView
            attempts={attempts}
            eventsOf={eventsOf}
            diffs={diffs}
            chosenId={task.chosenAttemptId}
            choosing={choosing}
            onChoose={(id) => void choose(id)}
            onView={(id) => {
              setSelected(id);
              setPaneChoice(null);
            }}
          />
        </div>
      ) : (
        attempt && (
          <>
            <div
              role="region"
              aria-label={label ? `${label} actions` : "Attempt actions"}
              className="mt-3 flex flex-wrap items-start justify-between gap-3 rounded-xl border border-border bg-surface px-3 py-2"
              data-testid="attempt-bar"
            >
              <div className="flex min-w-0 flex-col gap-1">
                <p className="flex flex-wrap items-center gap-x-2 text-sm">
                  {label && <span className="font-semibold">{label}</span>}
                  <StatusBadge status={attempt.status} />
                  {attempt.retryOf && (
                    <span className="text-xs text-muted">retry of {attemptName(attempts.find((a) => a.id === attempt.retryOf) ?? { index: -1 })}</span>
                  )}
                  <span className="text-xs text-muted" data-testid="attempt-worked">
                    worked {duration(workedMsOf(attemptEvents))}
                  </span>
                  {multi && attempt.id === task.chosenAttemptId && (
                    <span className="text-xs text-muted" data-testid="chosen-note">
                      · chosen{looksPreselected(attempts, task.chosenAttemptId) ? " (preselected: the first to finish; Compare to pick another)" : ""}
                    </span>
                  )}
                </p>
                <UsageStrip attempt={attempt} label={label} />
              </div>
              <div className="flex flex-wrap items-start justify-end gap-2">
                {multi && attempt.id !== task.chosenAttemptId && attempt.status === "succeeded" && (
                  <Button onClick={() => void choose(attempt.id)} disabled={choosing}>
                    Use this attempt
                  </Button>
                )}
                {final && !task.archived && (
                  <Button onClick={() => void retry(attempt)} disabled={retrying}>
                    {retrying && <Spinner size={12} label="Retrying" />} Retry {label ?? "attempt"}
                  </Button>
                )}
                {attempt.hasDiff && (
                  <>
                    <Button onClick={() => void copyPatch()} aria-live="polite" disabled={diff.data === undefined}>
                      {copied ? "Copied" : `Copy patch${label ? ` of ${label}` : ""}`}
                    </Button>
                    <a
                      href={`/api/tasks/${taskId}/attempts/${attempt.id}/diff?download=1`}
                      className="inline-flex h-8 items-center rounded-lg border border-border bg-surface px-3 text-sm font-medium hover:bg-surface-2"
                    >
                      Download{label ? ` ${label}` : ""}
                    </a>
                  </>
                )}
                {task.mode === "code" &&
                  (prFromOther ? (
                    <p className="flex h-8 items-center gap-2 text-xs text-muted">
                      <a href={task.prUrl!} target="_blank" rel="noreferrer" className="underline underline-offset-2">
                        PR #{task.prNumber}
                      </a>
                      is from {prOwner ? attemptName(prOwner) : "another attempt"}
                    </p>
                  ) : (
                    <PrActions
                      key={attempt.id}
                      taskId={taskId}
                      attemptId={attempt.id}
                      attemptLabel={label}
                      defaultBase={task.baseBranch}
                      repoFullName={task.repoFullName}
                      pr={{ url: task.prUrl, number: task.prNumber, state: task.prState, base: task.prBase }}
                      canCreate={canPr}
                      onChanged={refresh}
                    />
                  ))}
              </div>
            </div>

            <div className="mt-4 grid gap-4 lg:grid-cols-[minmax(0,5fr)_minmax(0,7fr)]">
              <section aria-label="Conversation" className="flex min-w-0 flex-col gap-4">
                {shownTurns.map((t) => {
                  const d = digests.get(t.seq);
                  const live = attemptRunning && attempt.turn === t.seq;
                  const stopped = d?.status === "cancelled";
                  return (
                    <div key={t.seq} className="flex min-w-0 flex-col gap-3" data-testid="turn">
                      <PromptBubble text={t.prompt} images={t.images} label={t.seq > 0 && label ? `Follow-up to ${label}` : undefined} />
                      {d?.plan && d.plan.length > 0 && (
                        <div className="rounded-xl border border-border p-3">
                          <PlanList plan={d.plan} />
                        </div>
                      )}
                      {d?.steers.map((s, i) => (
                        <div key={i} className="flex max-w-[92%] flex-col items-end gap-1 self-end" data-testid="steer-message">
                          <span className="text-xs text-muted">You, while it worked · taken at its next step</span>
                          <div className="rounded-2xl rounded-br-md border border-border bg-surface-2 px-3 py-2 text-sm whitespace-pre-wrap [overflow-wrap:anywhere]">
                            {s.text}
                          </div>
                        </div>
                      ))}
                      {d?.finalMessage ? (
                        <div className="text-sm" data-testid="final-message">
                          <AgentMessage
                            text={d.finalMessage}
                            onCitation={openCitation}
                            startTask={task.mode === "ask" ? { repo: task.repoFullName, branch: task.baseBranch } : undefined}
                          />
                        </div>
                      ) : live ? (
                        <div className="text-sm" aria-live="polite" data-testid="streaming-message">
                          {d?.streamingText ? (
                            <p className="whitespace-pre-wrap [overflow-wrap:anywhere]">{d.streamingText}</p>
                          ) : (
                            <p className="flex items-center gap-2 text-muted">
                              <Spinner /> {attempt.status === "queued" ? "Waiting for a runner…" : "Working…"}
                            </p>
                          )}
                        </div>
                      ) : null}
                      {d?.errors.map((err, i) => (
                        <p key={i} role="alert" className="rounded-lg bg-danger-bg px-3 py-2 text-sm text-danger">
                          Failed: {err.message || err.code}
                        </p>
                      ))}
                      {stopped && (
                        <p className="flex items-center gap-2 text-sm text-muted" data-testid="turn-stopped">
                          <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden>
                            <rect x="3" y="3" width="10" height="10" rx="2" fill="currentColor" />
                          </svg>
                          Stopped{d?.startedAt && d.endedAt ? ` after ${duration(new Date(d.endedAt).getTime() - new Date(d.startedAt).getTime())}` : ""}.
                          {!d?.finalMessage && " The agent did not finish this turn."}
                        </p>
                      )}
                      {!stopped && d?.startedAt && d.endedAt && (
                        <p className="text-xs text-muted">
                          Worked for {duration(new Date(d.endedAt).getTime() - new Date(d.startedAt).getTime())}
                          {d.commands > 0 && ` · ${d.commands} command${d.commands === 1 ? "" : "s"}`}
                        </p>
                      )}
                    </div>
                  );
                })}
                {!task.archived && (
                  <FollowUpBox
                    key={attempt.id}
                    taskId={taskId}
                    attemptId={attempt.id}
                    attemptLabel={label}
                    mode={followUpMode}
                    delivered={delivered}
                    onSent={refresh}
                  />
                )}
              </section>

              <section aria-label="Attempt output" className="min-w-0">
                <div className="mb-2 flex items-center justify-between">
                  <div role="tablist" aria-label="Output" className="flex rounded-lg border border-border p-0.5" onKeyDown={onTablistKeyDown}>
                    {(task.mode === "code" ? (["diff", "logs"] as const) : (["logs"] as const)).map((p) => (
                      <button
                        key={p}
                        role="tab"
                        type="button"
                        aria-selected={pane === p}
                        tabIndex={pane === p ? 0 : -1}
                        onClick={() => choosePane(p)}
                        className={`rounded-md px-3 py-1 text-xs font-medium ${pane === p ? "bg-surface-2 text-fg" : "text-muted hover:text-fg"}`}
                      >
                        {p === "diff" ? "Diff" : "Logs"}
                      </button>
                    ))}
                  </div>
                  {attempt.diffStats && attempt.diffStats.files > 0 && (
                    <span className="text-xs text-muted">
                      {attempt.diffStats.files} file{attempt.diffStats.files === 1 ? "" : "s"} ·{" "}
                      <DiffCounts additions={attempt.diffStats.additions} deletions={attempt.diffStats.deletions} />
                    </span>
                  )}
                </div>
                {peek ? (
                  <FilePeek taskId={taskId} attemptId={attempt.id} path={peek.path} lines={peek.lines} onClose={() => setPeek(null)} />
                ) : pane === "logs" ? (
                  // A fixed height: the log scrolls (and virtualizes) inside it instead of growing the page.
                  <div className="h-[calc(100vh-13rem)] min-h-[420px]">
                    <LogView key={attempt.id} events={attemptEvents} focus={logFocus} live={attemptRunning} onCitation={openCitation} />
                  </div>
                ) : attempt.hasDiff ? (
                  diff.data !== undefined ? (
                    <DiffView diff={diff.data} view="unified" focus={diffFocus} />
                  ) : (
                    <p className="flex items-center gap-2 p-3 text-sm text-muted">
                      <Spinner /> Loading the diff…
                    </p>
                  )
                ) : (
                  <p className="rounded-lg border border-dashed border-border p-6 text-center text-sm text-muted">
                    {attemptRunning ? "The diff appears when the agent finishes." : attempt.status === "cancelled" ? "Stopped before it changed anything." : "No changes."}
                  </p>
                )}
              </section>
            </div>
          </>
        )
      )}
    </div>
  );
}
