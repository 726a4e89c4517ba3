"use client";

import Link from "next/link";
import { DiffCounts, StatusBadge } from "@/components/ui/status-badge";
import { duration, timeAgo } from "@/components/ui/time";
import type { BoardTask } from "./types";

export function TaskRow({
  task,
  onArchive,
  onDelete,
}: {
  task: BoardTask;
  onArchive: (task: BoardTask, archived: boolean) => void;
  onDelete: (task: BoardTask) => void;
}) {
  const busy = task.status === "queued" || task.status === "running";
  return (
    <li className="group relative flex items-center gap-3 border-b border-border px-3 py-3 last:border-b-0 hover:bg-surface-2/60" data-testid="task-row" data-task-id={task.id}>
      <span aria-hidden className={`h-2 w-2 shrink-0 rounded-full ${task.unread ? "bg-ring" : "bg-transparent"}`} />
      <div className="min-w-0 flex-1">
        {task.optimistic ? (
          // Shown while the server creates it: nothing to open yet.
          <span className="block truncate text-sm font-medium text-muted">{task.title}</span>
        ) : (
          <Link
            href={`/tasks/${task.id}`}
            className="block truncate text-sm font-medium text-fg after:absolute after:inset-0 focus-visible:outline-none"
          >
            {task.title}
          </Link>
        )}
        {task.unread && <span className="sr-only">Finished since you last looked.</span>}
        <p className="mt-0.5 truncate text-xs text-muted">
          {timeAgo(task.createdAt)} · {task.repoFullName} · {task.baseBranch} · {task.mode === "ask" ? "Ask" : "Code"}
          {task.attemptsCount > 1 && ` · ${task.attemptsCount} attempts`}
          {/* The time the agent worked, not the time since the task was created (queue and pauses left out). */}
          {!busy && task.workedMs > 0 && (
            <span title="How long the agent worked">{` · worked ${duration(task.workedMs)}`}</span>
          )}
          {task.diffStats && task.diffStats.files > 0 && ` · ${task.diffStats.files} file${task.diffStats.files === 1 ? "" : "s"}`}
        </p>
      </div>
      <div className="relative z-10 flex shrink-0 items-center gap-3">
        {task.prUrl && (
          <a href={task.prUrl} target="_blank" rel="noreferrer" className="text-xs font-medium text-fg underline-offset-2 hover:underline">
            PR #{task.prNumber}
            {task.prState && task.prState !== "open" ? ` (${task.prState})` : ""}
          </a>
        )}
        {/* A column of its own width, so rows line up whatever their status says (pending ones included). */}
        <span className="inline-flex w-24 justify-end" data-testid="task-row-status">
          {!busy && task.diffStats && task.diffStats.files > 0 ? (
            <DiffCounts additions={task.diffStats.additions} deletions={task.diffStats.deletions} />
          ) : (
            <StatusBadge status={task.status} />
          )}
        </span>
        {task.optimistic ? (
          // The same room as a created row's actions, so pending rows line up with the rest.
          <div aria-hidden className="invisible flex gap-1">
            <span className="rounded-md px-2 py-1 text-xs">Archive</span>
          </div>
        ) : (
          <div className="flex gap-1 opacity-100 sm:opacity-0 sm:group-focus-within:opacity-100 sm:group-hover:opacity-100">
            <button
              type="button"
              onClick={() => onArchive(task, !task.archived)}
              className="rounded-md px-2 py-1 text-xs text-muted hover:bg-surface hover:text-fg"
              aria-label={`${task.archived ? "Unarchive" : "Archive"} “${task.title}”`}
            >
              {task.archived ? "Unarchive" : "Archive"}
            </button>
            {task.archived && (
              <button
                type="button"
                onClick={() => onDelete(task)}
                className="rounded-md px-2 py-1 text-xs text-danger hover:bg-danger-bg"
                aria-label={`Delete “${task.title}”`}
              >
                Delete
              </button>
            )}
          </div>
        )}
      </div>
    </li>
  );
}
