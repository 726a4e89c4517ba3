"use client";

import { useInfiniteQuery, useQuery, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { useDeferredValue, useId, useRef, useState } from "react";
import { Composer, type ComposerSubmit } from "@/components/composer/composer";
import { Button } from "@/components/ui/button";
import { ErrorNote } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import { onTablistKeyDown } from "@/components/ui/tablist-keys";
import { TaskRow } from "./task-row";
import type { BoardPage, BoardTask } from "./types";

type Tab = "current" | "archive";
// One vocabulary with the status badges: a cancelled task is "Stopped" everywhere a person reads it.
const STATUSES = [
  ["queued", "Queued"],
  ["running", "Working"],
  ["succeeded", "Ready"],
  ["failed", "Failed"],
  ["cancelled", "Stopped"],
] as const;

export function Board() {
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<Tab>("current");
  const [repo, setRepo] = useState("");
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const q = useDeferredValue(search.trim());
  const ids = useId();
  const key = ["tasks", tab, repo, status, q] as const;

  const tasks = useInfiniteQuery({
    queryKey: key,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ tab, limit: "30" });
      if (repo) params.set("repo", repo);
      if (status) params.set("status", status);
      if (q) params.set("q", q);
      if (pageParam) params.set("cursor", pageParam);
      return fetchJson<BoardPage>(`/api/tasks?${params}`);
    },
    getNextPageParam: (last) => last.nextCursor,
    // Coming back from a task page, show what changed there (archived, finished) at once. Live updates come from
    // the board's event stream (components/layout/board-live.tsx), which reads the list again when a task changes.
    refetchOnMount: "always",
  });
  const repos = useQuery({ queryKey: ["task-repos"], queryFn: () => fetchJson<{ repos: string[] }>("/api/tasks/repos") });
  // Tasks being created, newest first: kept apart from the server's list, so a refresh never drops one.
  const [pending, setPending] = useState<BoardTask[]>([]);
  const unfiltered = tab === "current" && !repo && !status && !q;
  const rows = [...(unfiltered ? pending : []), ...(tasks.data?.pages.flatMap((p) => p.tasks) ?? [])];

  // Tasks are created one after another, in the order they were submitted, however fast they come.
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  function create(input: ComposerSubmit) {
    const tempId = `pending-${Math.random().toString(36).slice(2)}`;
    const now = new Date().toISOString();
    const placeholder: BoardTask = {
      id: tempId,
      title: input.prompt.split("\n")[0].slice(0, 72),
      repoFullName: input.repo.fullName,
      baseBranch: input.branch,
      mode: input.mode,
      status: "queued",
      archived: false,
      attemptsCount: input.attempts,
      diffStats: null,
      prUrl: null,
      prNumber: null,
      prState: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      workedMs: 0,
      unread: false,
      attempts: [],
      optimistic: true,
    };
    const currentKey = ["tasks", "current", "", "", ""];
    const edit = (fn: (tasks: BoardTask[]) => BoardTask[]) =>
      queryClient.setQueryData<InfiniteData<BoardPage, string | null>>(currentKey, (data) => {
        if (!data) return data;
        const [first, ...rest] = data.pages;
        return { ...data, pages: [{ ...first, tasks: fn(first.tasks) }, ...rest] };
      });
    setPending((list) => [placeholder, ...list]);
    const run = queue.current.then(async () => {
      try {
        const { task } = await fetchJson<{ task: BoardTask }>("/api/tasks", {
          method: "POST",
          body: JSON.stringify({
            repo: input.repo.fullName,
            branch: input.branch,
            mode: input.mode,
            prompt: input.prompt,
            attempts: input.attempts,
            engine: input.engine,
            ...(input.images.length ? { images: input.images } : {}),
          }),
        });
        // The placeholder becomes the task where it stands: rows submitted after it stay above it.
        const created = { ...placeholder, ...task, optimistic: false, unread: false, attempts: [] };
        edit((tasks) => [created, ...tasks.filter((t) => t.id !== task.id)]);
        setPending((list) => list.filter((t) => t.id !== tempId));
      } catch (err) {
        setPending((list) => list.filter((t) => t.id !== tempId));
        throw err;
      } finally {
        void queryClient.invalidateQueries({ queryKey: ["task-repos"] });
      }
    });
    queue.current = run.catch(() => undefined);
    return run;
  }

  async function archive(task: BoardTask, archived: boolean) {
    await fetchJson(`/api/tasks/${task.id}`, { method: "PATCH", body: JSON.stringify({ archived }) }).catch(() => undefined);
    void queryClient.invalidateQueries({ queryKey: ["tasks"] });
  }

  async function remove(task: BoardTask) {
    if (!window.confirm(`Delete “${task.title}” and its workspace? This cannot be undone.`)) return;
    await fetch(`/api/tasks/${task.id}`, { method: "DELETE" });
    void queryClient.invalidateQueries({ queryKey: ["tasks"] });
  }

  return (
    <>
      <div className="mx-auto mt-6 max-w-3xl">
        <Composer onSubmit={create} />
      </div>
      <section className="mx-auto mt-10 max-w-3xl" aria-label="Tasks">
        <div className="flex flex-wrap items-center gap-2 border-b border-border">
          <div role="tablist" aria-label="Task lists" className="flex" onKeyDown={onTablistKeyDown}>
            {(["current", "archive"] as const).map((t) => (
              <button
                key={t}
                role="tab"
                type="button"
                aria-selected={tab === t}
                tabIndex={tab === t ? 0 : -1}
                onClick={() => setTab(t)}
                className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium ${tab === t ? "border-fg text-fg" : "border-transparent text-muted hover:text-fg"}`}
              >
                {t === "current" ? "Tasks" : "Archive"}
              </button>
            ))}
          </div>
          <div className="ml-auto flex flex-wrap items-center gap-2 pb-2">
            <label htmlFor={`${ids}-q`} className="sr-only">
              Search tasks
            </label>
            <input
              id={`${ids}-q`}
              type="search"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              placeholder="Search tasks"
              className="h-8 w-40 rounded-lg border border-border bg-surface px-2 text-sm placeholder:text-muted"
            />
            <label htmlFor={`${ids}-repo`} className="sr-only">
              Filter by repository
            </label>
            <select
              id={`${ids}-repo`}
              value={repo}
              onChange={(e) => setRepo(e.target.value)}
              className="h-8 max-w-[10rem] rounded-lg border border-border bg-surface px-2 text-sm"
            >
              <option value="">All repositories</option>
              {repos.data?.repos.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            <label htmlFor={`${ids}-status`} className="sr-only">
              Filter by status
            </label>
            <select
              id={`${ids}-status`}
              value={status}
              onChange={(e) => setStatus(e.target.value)}
              className="h-8 rounded-lg border border-border bg-surface px-2 text-sm"
            >
              <option value="">Any status</option>
              {STATUSES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        </div>
        {tasks.isError && (
          <div className="mt-3">
            <ErrorNote error={asClientError(tasks.error)} onRetry={() => void tasks.refetch()} />
          </div>
        )}
        {tasks.isPending && (
          <p className="flex items-center gap-2 px-3 py-6 text-sm text-muted">
            <Spinner /> Loading tasks…
          </p>
        )}
        {tasks.data && rows.length === 0 && (
          <p className="px-3 py-10 text-center text-sm text-muted">
            {q || repo || status ? "No task matches these filters." : tab === "archive" ? "Nothing archived yet." : "No tasks yet. Describe one above."}
          </p>
        )}
        <ul aria-label={tab === "current" ? "Current tasks" : "Archived tasks"} data-testid="task-list">
          {rows.map((t) => (
            <TaskRow key={t.id} task={t} onArchive={archive} onDelete={remove} />
          ))}
        </ul>
        {tasks.hasNextPage && (
          <div className="mt-3 flex justify-center">
            <Button onClick={() => void tasks.fetchNextPage()} disabled={tasks.isFetchingNextPage}>
              {tasks.isFetchingNextPage ? <Spinner /> : null} Load more
            </Button>
          </div>
        )}
      </section>
    </>
  );
}
