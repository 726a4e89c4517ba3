"use client";

import { useMemo } from "react";
import { parseUnifiedDiff, type DiffFile } from "@/components/diff";
import type { TaskEventDTO } from "@/components/log/types";
import { Button } from "@/components/ui/button";
import { DiffCounts, StatusBadge } from "@/components/ui/status-badge";
import { Spinner } from "@/components/ui/spinner";
import { duration } from "@/components/ui/time";
import { attemptName, checksLabel, checksOf, formatCost, formatTokens, looksPreselected, workedMsOf } from "./attempt-stats";
import { ACTIVE_STATUSES, type AttemptDTO } from "./types";

export type CompareViewProps = {
  attempts: AttemptDTO[];
  eventsOf: (attemptId: string) => TaskEventDTO[];
  /** Each attempt's diff text; undefined while it loads, "" when it changed nothing. */
  diffs: Map<string, string | undefined>;
  chosenId: string | null;
  onChoose: (attemptId: string) => void;
  onView: (attemptId: string) => void;
  choosing: boolean;
};

/** Best-of-N side by side: what each attempt did, cost and checked, then every file's changes per attempt. */
export function CompareView({ attempts, eventsOf, diffs, chosenId, onChoose, onView, choosing }: CompareViewProps) {
  const chosen = attempts.find((a) => a.id === chosenId);
  const preselected = looksPreselected(attempts, chosenId);
  const parsed = useMemo(() => {
    const map = new Map<string, DiffFile[] | undefined>();
    for (const a of attempts) {
      const text = diffs.get(a.id);
      map.set(a.id, a.hasDiff ? (text === undefined ? undefined : parseUnifiedDiff(text)) : []);
    }
    return map;
  }, [attempts, diffs]);
  const paths = useMemo(() => {
    const seen = new Map<string, string[]>();
    for (const a of attempts) {
      for (const f of parsed.get(a.id) ?? []) {
        const list = seen.get(f.path) ?? [];
        list.push(a.id);
        seen.set(f.path, list);
      }
    }
    return [...seen.entries()].sort(([p], [q]) => p.localeCompare(q));
  }, [attempts, parsed]);
  // Each attempt's column keeps a readable width; a narrow window scrolls the comparison sideways instead.
  const grid = { gridTemplateColumns: `repeat(${attempts.length}, minmax(16rem, 1fr))` };
  const loading = attempts.some((a) => a.hasDiff && diffs.get(a.id) === undefined);

  return (
    <div className="flex flex-col gap-4" data-testid="compare-view">
      <p role="status" className="rounded-lg border border-border bg-surface px-3 py-2 text-sm" data-testid="choice-note">
        {chosen ? (
          preselected ? (
            <>
              <strong>{attemptName(chosen)}</strong> is preselected: it was the first to finish. Pick the attempt you want with its <em>Use</em> button.
            </>
          ) : (
            <>
              You chose <strong>{attemptName(chosen)}</strong>. Follow-ups and pull requests default to it.
            </>
          )
        ) : (
          "No attempt is chosen yet: compare them, then pick one."
        )}
      </p>

      <div className="overflow-x-auto rounded-xl border border-border">
        <table
          aria-label="Compare attempts"
          className="w-full table-fixed border-collapse text-left text-sm"
          style={{ minWidth: `${8 + attempts.length * 14}rem` }}
        >
          <thead>
            <tr className="border-b border-border bg-surface-2">
              <th scope="col" className="w-32 px-3 py-2 text-xs font-medium text-muted">
                <span className="sr-only">Measure</span>
              </th>
              {attempts.map((a) => (
                <th key={a.id} scope="col" className="px-3 py-2 font-semibold">
                  {attemptName(a)}
                  {a.id === chosenId && <span className="ml-1.5 rounded bg-surface px-1.5 py-px text-xs font-medium text-muted">chosen</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <Row label="Status">
              {attempts.map((a) => (
                <td key={a.id} className="px-3 py-2">
                  <StatusBadge status={a.status} />
                  {a.errorMessage && a.status !== "cancelled" && <p className="mt-0.5 text-xs text-danger [overflow-wrap:anywhere]">{a.errorMessage}</p>}
                </td>
              ))}
            </Row>
            <Row label="Worked">
              {attempts.map((a) => (
                <td key={a.id} className="px-3 py-2 tabular-nums" data-testid="compare-worked">
                  {duration(workedMsOf(eventsOf(a.id)))}
                </td>
              ))}
            </Row>
            <Row label="Tokens">
              {attempts.map((a) => (
                <td key={a.id} className="px-3 py-2 tabular-nums" data-testid="compare-tokens">
                  {formatTokens(a.inputTokens + a.outputTokens)}
                  <span className="block text-xs text-muted">
                    {formatTokens(a.inputTokens)} in ({formatTokens(a.cachedInputTokens)} cached) · {formatTokens(a.outputTokens)} out
                  </span>
                </td>
              ))}
            </Row>
            <Row label="Cost">
              {attempts.map((a) => (
                <td key={a.id} className="px-3 py-2 tabular-nums" data-testid="compare-cost">
                  {formatCost(a.costUsd) ?? <span className="text-muted">no price set</span>}
                </td>
              ))}
            </Row>
            <Row label="Files changed">
              {attempts.map((a) => (
                <td key={a.id} className="px-3 py-2" data-testid="compare-files">
                  {a.diffStats && a.diffStats.files > 0 ? (
                    <>
                      {a.diffStats.files} {a.diffStats.files === 1 ? "file" : "files"} <DiffCounts additions={a.diffStats.additions} deletions={a.diffStats.deletions} />
                    </>
                  ) : ACTIVE_STATUSES.includes(a.status) ? (
                    <span className="text-muted">still working</span>
                  ) : (
                    <span className="text-muted">none</span>
                  )}
                </td>
              ))}
            </Row>
            <Row label="Checks">
              {attempts.map((a) => {
                const checks = checksOf(eventsOf(a.id));
                const failed = checks.some((c) => c.outcome !== "passed");
                return (
                  <td key={a.id} className="px-3 py-2 align-top" data-testid="compare-checks">
                    <span className={checks.length === 0 ? "text-muted" : failed ? "text-danger" : "text-success"}>{checksLabel(checks)}</span>
                    {checks.length > 0 && (
                      <ul className="mt-1 space-y-0.5 text-xs">
                        {checks.map((c) => (
                          <li key={c.command} className="flex items-start gap-1.5">
                            <span aria-hidden className={c.outcome === "passed" ? "text-success" : c.outcome === "unfinished" ? "text-muted" : "text-danger"}>
                              {c.outcome === "passed" ? "✓" : c.outcome === "unfinished" ? "…" : "✗"}
                            </span>
                            <code className="font-mono [overflow-wrap:anywhere]">{c.command}</code>
                            <span className="sr-only">{c.outcome === "passed" ? "passed" : c.outcome === "unfinished" ? "did not finish" : `failed (exit ${c.exitCode ?? "none"})`}</span>
                            {c.outcome === "failed" && <span className="text-muted">exit {c.exitCode}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                );
              })}
            </Row>
            <tr>
              <th scope="row" className="px-3 py-2 text-xs font-medium text-muted">
                <span className="sr-only">Actions</span>
              </th>
              {attempts.map((a) => (
                <td key={a.id} className="px-3 py-2">
                  <div className="flex flex-wrap gap-2">
                    {a.id === chosenId ? (
                      <span className="inline-flex h-8 items-center text-xs font-medium text-muted">Chosen</span>
                    ) : (
                      <Button
                        variant="primary"
                        disabled={a.status !== "succeeded" || choosing}
                        onClick={() => onChoose(a.id)}
                      >
                        Use {attemptName(a)}
                      </Button>
                    )}
                    <Button variant="ghost" onClick={() => onView(a.id)}>
                      View {attemptName(a)}
                    </Button>
                  </div>
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      </div>

      <section aria-label="Changes side by side" className="flex flex-col gap-3">
        <h2 className="text-sm font-semibold">
          Changes side by side{" "}
          <span className="font-normal text-muted">
            · {paths.length} {paths.length === 1 ? "file" : "files"}
          </span>
        </h2>
        {loading && (
          <p className="flex items-center gap-2 text-sm text-muted">
            <Spinner /> Loading the diffs…
          </p>
        )}
        {!loading && paths.length === 0 && <p className="text-sm text-muted">No attempt changed a file yet.</p>}
        {paths.map(([path, touchedBy]) => {
          const only = touchedBy.length === 1 && attempts.length > 1 ? attempts.find((a) => a.id === touchedBy[0]) : undefined;
          const bodies = attempts.map((a) => JSON.stringify(parsed.get(a.id)?.find((f) => f.path === path)?.hunks.map((h) => h.lines) ?? null));
          const same = touchedBy.length === attempts.length && attempts.length > 1 && bodies.every((b) => b === bodies[0]);
          return (
            <article key={path} aria-label={`Compare ${path}`} className="rounded-xl border border-border" data-testid="compare-file">
              <header className="flex flex-wrap items-center gap-2 border-b border-border bg-surface-2 px-3 py-1.5 text-sm">
                <span className="font-mono text-[12.5px] [overflow-wrap:anywhere]">{path}</span>
                {only && (
                  <span className="rounded bg-[color-mix(in_srgb,var(--warning)_16%,transparent)] px-1.5 py-px text-xs font-medium text-warning" data-testid="only-in">
                    only {attemptName(only)}
                  </span>
                )}
                {touchedBy.length === attempts.length && attempts.length > 1 && (
                  <span className="text-xs text-muted" data-testid="touched-by">
                    {same ? "the same change in every attempt" : "changed by every attempt, differently"}
                  </span>
                )}
              </header>
              <div className="grid divide-x divide-border overflow-x-auto" style={grid}>
                {attempts.map((a) => {
                  const file = parsed.get(a.id)?.find((f) => f.path === path);
                  return (
                    <div key={a.id} className="min-w-0" data-testid="compare-cell" data-attempt={a.index + 1}>
                      <div className="flex items-center justify-between border-b border-border px-3 py-1 text-xs text-muted">
                        <span className="font-medium text-fg">{attemptName(a)}</span>
                        {file && <DiffCounts additions={file.additions} deletions={file.deletions} />}
                      </div>
                      {file ? <FileLines file={file} /> : <p className="px-3 py-3 text-xs text-muted">Not changed by {attemptName(a)}.</p>}
                    </div>
                  );
                })}
              </div>
            </article>
          );
        })}
      </section>
    </div>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <tr className="border-b border-border align-top">
      <th scope="row" className="px-3 py-2 text-xs font-medium text-muted">
        {label}
      </th>
      {children}
    </tr>
  );
}

const MAX_LINES = 300;

/** One attempt's hunks of one file, compact (the full diff is on the attempt's own Diff pane). */
function FileLines({ file }: { file: DiffFile }) {
  if (file.binary) return <p className="px-3 py-3 text-xs text-muted">Binary file.</p>;
  const shown: { header: string; lines: DiffFile["hunks"][number]["lines"] }[] = [];
  let left = MAX_LINES;
  for (const h of file.hunks) {
    shown.push({ header: h.header, lines: h.lines.slice(0, Math.max(left, 0)) });
    left -= h.lines.length;
  }
  return (
    <div className="overflow-x-auto font-mono text-[12px] leading-5">
      {shown.map((h, i) => {
        return (
          <div key={i}>
            <div className="bg-surface-2 px-3 text-muted">{h.header}</div>
            {h.lines.map((l, j) => (
              <div
                key={j}
                data-testid="compare-line"
                className={`whitespace-pre-wrap px-3 [overflow-wrap:anywhere] ${
                  l.type === "add"
                    ? "bg-[color-mix(in_srgb,var(--add)_11%,transparent)]"
                    : l.type === "del"
                      ? "bg-[color-mix(in_srgb,var(--del)_11%,transparent)]"
                      : ""
                }`}
              >
                <span aria-hidden className={`mr-2 select-none ${l.type === "add" ? "text-add" : l.type === "del" ? "text-del" : "text-muted"}`}>
                  {l.type === "add" ? "+" : l.type === "del" ? "−" : " "}
                </span>
                <span className="sr-only">{l.type === "add" ? "added: " : l.type === "del" ? "removed: " : ""}</span>
                {l.content}
              </div>
            ))}
          </div>
        );
      })}
      {left < 0 && <p className="px-3 py-1 font-sans text-xs text-muted">{-left} more lines: open the attempt to read them all.</p>}
    </div>
  );
}
