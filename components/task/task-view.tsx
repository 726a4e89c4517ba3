"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { DiffView } from "@/components/diff";
import { LogView } from "@/components/log";
import type { Citation, DiffFocus, LogFocus, TaskEventDTO } from "@/components/log/types";
import { AgentMarkdown } from "@/components/markdown";
import { Button } from "@/components/ui/button";
import { fetchJson } from "@/components/ui/fetch-json";
import { DiffCounts, StatusBadge } from "@/components/ui/status-badge";
import { Spinner } from "@/components/ui/spinner";
import { onTablistKeyDown } from "@/components/ui/tablist-keys";
import { duration } from "@/components/ui/time";
import { ENGINE_LABELS } from "@/lib/engines/names";
import { FilePeek } from "./file-peek";
import { FollowUpBox } from "./follow-up-box";
import { PlanList } from "./plan-list";
import { PrActions } from "./pr-actions";
import { digestTurns } from "./turn-digest";
import { ACTIVE_STATUSES, type TaskDetailDTO } from "./types";
import { useTaskEvents } from "./use-task-events";

type Pane = "diff" | "logs";

export function TaskView({ initial }: { initial: TaskDetailDTO }) {
  const taskId = initial.task.id;
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ["task", taskId],
    queryFn: () => fetchJson<TaskDetailDTO>(`/api/tasks/${taskId}`),
    initialData: initial,
  });
  const { task, attempts, turns } = detail.data;
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["task", taskId] });
    void queryClient.invalidateQueries({ queryKey: ["tasks"] });
  };
  const { events } = useTaskEvents(taskId, (e) => {
    if (e.type === "status" || e.type === "diff") refresh();
  });

  const [selected, setSelected] = useState<string | null>(null);
  const attempt = attempts.find((a) => a.id === selected) ?? attempts.find((a) => a.id === task.chosenAttemptId) ?? attempts[0];
  const [pane, setPane] = useState<Pane>(task.mode === "code" ? "diff" : "logs");
  const [logFocus, setLogFocus] = useState<LogFocus | undefined>();
  const [diffFocus, setDiffFocus] = useState<DiffFocus | undefined>();
  const [peek, setPeek] = useState<{ path: string; lines?: [number, number] } | null>(null);
  const [copied, setCopied] = useState(false);

  const byAttempt = useMemo(() => {
    const map = new Map<string, TaskEventDTO[]>();
    for (const e of events) {
      const list = map.get(e.attemptId);
      if (list) list.push(e);
      else map.set(e.attemptId, [e]);
    }
    return map;
  }, [events]);
  const attemptEvents = useMemo(() => byAttempt.get(attempt?.id ?? "") ?? [], [byAttempt, attempt?.id]);
  const digests = useMemo(() => digestTurns(attemptEvents), [attemptEvents]);

  const running = attempts.some((a) => ACTIVE_STATUSES.includes(a.status));
  const attemptRunning = attempt ? ACTIVE_STATUSES.includes(attempt.status) : false;
  const diff = useQuery({
    queryKey: ["diff", attempt?.id, attempt?.diffStats?.additions, attempt?.diffStats?.deletions, attempt?.turn, attempt?.status],
    queryFn: () => fetch(`/api/tasks/${taskId}/attempts/${attempt!.id}/diff`).then((r) => (r.ok ? r.text() : "")),
    enabled: Boolean(attempt?.hasDiff),
  });

  function openCitation(c: Citation) {
    if (c.kind === "chunk") {
      setPane("logs");
      setPeek(null);
      setLogFocus({ chunkId: c.chunkId, lines: c.lines });
      return;
    }
    const inDiff = diff.data?.includes(`b/${c.path}\n`) ?? false;
    if (inDiff) {
      setPane("diff");
      setPeek(null);
      setDiffFocus({ path: c.path, lines: c.lines });
    } else {
      setPeek({ path: c.path, lines: c.lines });
    }
  }

  async function stop() {
    await fetchJson(`/api/tasks/${taskId}/cancel`, { method: "POST" }).catch(() => undefined);
    refresh();
  }
  async function setArchived(archived: boolean) {
    await fetchJson(`/api/tasks/${taskId}`, { method: "PATCH", body: JSON.stringify({ archived }) }).catch(() => undefined);
    refresh();
  }
  async function choose(attemptId: string) {
    await fetchJson(`/api/tasks/${taskId}`, { method: "PATCH", body: JSON.stringify({ chosenAttemptId: attemptId }) }).catch(() => undefined);
    refresh();
  }
  async function copyPatch() {
    const text = diff.data ?? "";
    await navigator.clipboard?.writeText(text).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  }

  const canPr = task.mode === "code" && attempt?.status === "succeeded" && Boolean(attempt?.hasDiff) && !running;

  return (
    <div className="pt-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <Link href="/" className="text-xs text-muted hover:text-fg">
            ← Tasks
          </Link>
          <h1 className="mt-1 truncate text-lg font-semibold tracking-tight">{task.title}</h1>
          <p className="mt-0.5 flex flex-wrap items-center gap-x-2 text-xs text-muted">
            <span>{task.repoFullName}</span>·<span>{task.baseBranch}</span>·<span>{task.mode === "ask" ? "Ask" : "Code"}</span>·<span data-testid="task-engine">{ENGINE_LABELS[task.engine] ?? ENGINE_LABELS.patchbay}</span>·
            <StatusBadge status={task.status} />
            {task.archived && <span className="rounded bg-surface-2 px-1.5">Archived</span>}
          </p>
        </div>
        <div className="flex flex-wrap items-start gap-2">
          {running && (
            <Button variant="danger" onClick={() => void stop()}>
              Stop
            </Button>
          )}
          {attempt?.hasDiff && (
            <>
              <Button onClick={() => void copyPatch()} aria-live="polite">
                {copied ? "Copied" : "Copy patch"}
              </Button>
              <a
                href={`/api/tasks/${taskId}/attempts/${attempt.id}/diff?download=1`}
                className="inline-flex h-8 items-center rounded-lg border border-border bg-surface px-3 text-sm font-medium hover:bg-surface-2"
              >
                Download
              </a>
            </>
          )}
          <Button variant="ghost" onClick={() => void setArchived(!task.archived)}>
            {task.archived ? "Unarchive" : "Archive"}
          </Button>
          {task.mode === "code" && (
            <PrActions taskId={taskId} pr={{ url: task.prUrl, number: task.prNumber, state: task.prState }} canCreate={canPr} onChanged={refresh} />
          )}
        </div>
      </div>

      <div className="mt-4 grid gap-4 lg:grid-cols-[minmax(0,5fr)_minmax(0,7fr)]">
        <section aria-label="Conversation" className="flex min-w-0 flex-col gap-4">
          {turns.map((t) => {
            const d = digests.get(t.seq);
            const live = attemptRunning && attempt?.turn === t.seq;
            return (
              <div key={t.seq} className="flex flex-col gap-3" data-testid="turn">
                <div className="self-end rounded-2xl rounded-br-md bg-surface-2 px-3 py-2 text-sm whitespace-pre-wrap">{t.prompt}</div>
                {d?.plan && d.plan.length > 0 && (
                  <div className="rounded-xl border border-border p-3">
                    <PlanList plan={d.plan} />
                  </div>
                )}
                {d?.finalMessage ? (
                  <div className="text-sm" data-testid="final-message">
                    <AgentMarkdown text={d.finalMessage} onCitation={openCitation} />
                  </div>
                ) : live ? (
                  <div className="text-sm" aria-live="polite" data-testid="streaming-message">
                    {d?.streamingText ? (
                      <p className="whitespace-pre-wrap">{d.streamingText}</p>
                    ) : (
                      <p className="flex items-center gap-2 text-muted">
                        <Spinner /> {attempt?.status === "queued" ? "Waiting for a runner…" : "Working…"}
                      </p>
                    )}
                  </div>
                ) : null}
                {d?.errors.map((err, i) => (
                  <p key={i} role="alert" className="rounded-lg bg-danger-bg px-3 py-2 text-sm text-danger">
                    Task failed: {err.code}: {err.message}
                  </p>
                ))}
                {d?.startedAt && d.endedAt && (
                  <p className="text-xs text-muted">
                    Worked for {duration(new Date(d.endedAt).getTime() - new Date(d.startedAt).getTime())}
                    {d.commands > 0 && ` · ${d.commands} command${d.commands === 1 ? "" : "s"}`}
                  </p>
                )}
              </div>
            );
          })}
          {!task.archived && <FollowUpBox taskId={taskId} disabled={running} onSent={refresh} />}
        </section>

        <section aria-label="Attempt output" className="min-w-0">
          {attempts.length > 1 && (
            <div role="tablist" aria-label="Attempts" className="mb-2 flex flex-wrap gap-2" onKeyDown={onTablistKeyDown}>
              {attempts.map((a) => (
                <button
                  key={a.id}
                  role="tab"
                  type="button"
                  aria-selected={a.id === attempt?.id}
                  tabIndex={a.id === attempt?.id ? 0 : -1}
                  onClick={() => setSelected(a.id)}
                  className={`flex items-center gap-2 rounded-lg border px-2.5 py-1.5 text-left text-xs ${a.id === attempt?.id ? "border-fg bg-surface" : "border-border hover:bg-surface-2"}`}
                >
                  <span className="font-medium">
                    Attempt {a.index + 1}
                    {a.id === task.chosenAttemptId && <span className="ml-1 text-muted">(chosen)</span>}
                  </span>
                  <StatusBadge status={a.status} />
                  {a.diffStats && a.diffStats.files > 0 && <DiffCounts additions={a.diffStats.additions} deletions={a.diffStats.deletions} />}
                </button>
              ))}
              {attempt && attempt.id !== task.chosenAttemptId && attempt.status === "succeeded" && (
                <Button onClick={() => void choose(attempt.id)}>Use this attempt</Button>
              )}
            </div>
          )}
          <div className="mb-2 flex items-center justify-between">
            <div role="tablist" aria-label="Output" className="flex rounded-lg border border-border p-0.5" onKeyDown={onTablistKeyDown}>
              {(["diff", "logs"] as const).map((p) => (
                <button
                  key={p}
                  role="tab"
                  type="button"
                  aria-selected={pane === p}
                  tabIndex={pane === p ? 0 : -1}
                  onClick={() => {
                    setPane(p);
                    setPeek(null);
                  }}
                  className={`rounded-md px-3 py-1 text-xs font-medium ${pane === p ? "bg-surface-2 text-fg" : "text-muted hover:text-fg"}`}
                >
                  {p === "diff" ? "Diff" : "Logs"}
                </button>
              ))}
            </div>
            {attempt?.diffStats && attempt.diffStats.files > 0 && (
              <span className="text-xs text-muted">
                {attempt.diffStats.files} file{attempt.diffStats.files === 1 ? "" : "s"} ·{" "}
                <DiffCounts additions={attempt.diffStats.additions} deletions={attempt.diffStats.deletions} />
              </span>
            )}
          </div>
          {peek && attempt ? (
            <FilePeek taskId={taskId} attemptId={attempt.id} path={peek.path} lines={peek.lines} onClose={() => setPeek(null)} />
          ) : pane === "logs" ? (
            // A fixed height: the log scrolls (and virtualizes) inside it instead of growing the page.
            <div className="h-[calc(100vh-13rem)] min-h-[420px]">
              <LogView events={attemptEvents} focus={logFocus} live={attemptRunning} />
            </div>
          ) : attempt?.hasDiff ? (
            diff.data !== undefined ? (
              <DiffView diff={diff.data} view="unified" focus={diffFocus} />
            ) : (
              <p className="flex items-center gap-2 p-3 text-sm text-muted">
                <Spinner /> Loading the diff…
              </p>
            )
          ) : (
            <p className="rounded-lg border border-dashed border-border p-6 text-center text-sm text-muted">
              {task.mode === "ask"
                ? "Ask tasks do not change code. See the logs for what the agent read."
                : attemptRunning
                  ? "The diff appears when the agent finishes."
                  : "No changes."}
            </p>
          )}
        </section>
      </div>
    </div>
  );
}
