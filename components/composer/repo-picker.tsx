"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { ErrorNote } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import type { Repo, ReposResponse } from "./types";

/** A searchable list of the repositories the GitHub App can reach for the user. */
export function RepoPicker({ value, onChange }: { value: Repo | null; onChange: (repo: Repo) => void }) {
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const queryClient = useQueryClient();
  const [refreshing, setRefreshing] = useState(false);

  const repos = useQuery({ queryKey: ["repos"], queryFn: () => fetchJson<ReposResponse>("/api/repos") });

  const visible = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const all = repos.data?.repos ?? [];
    return needle ? all.filter((r) => r.fullName.toLowerCase().includes(needle)) : all;
  }, [repos.data, filter]);

  useEffect(() => {
    if (!open) return;
    inputRef.current?.focus();
    const onDown = (e: MouseEvent) => {
      if (!rootRef.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  async function refresh() {
    setRefreshing(true);
    try {
      const fresh = await fetchJson<ReposResponse>("/api/repos?refresh=1");
      queryClient.setQueryData(["repos"], fresh);
    } catch {
      await repos.refetch();
    } finally {
      setRefreshing(false);
    }
  }

  /** Closes the list; from the keyboard (Escape, a choice) focus goes back to the picker's button, not the page. */
  function close(returnFocus: boolean) {
    setOpen(false);
    setFilter("");
    if (returnFocus) buttonRef.current?.focus();
  }

  function choose(repo: Repo) {
    onChange(repo);
    close(true);
  }

  const clampedActive = Math.min(active, Math.max(visible.length - 1, 0));

  return (
    <div ref={rootRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-haspopup="listbox"
        aria-expanded={open}
        aria-label={value ? `Repository: ${value.fullName}` : "Choose a repository"}
        onClick={() => setOpen((o) => !o)}
        className="inline-flex h-8 max-w-[16rem] items-center gap-1.5 rounded-lg border border-border bg-surface px-2.5 text-sm hover:bg-surface-2"
      >
        <svg width="14" height="14" viewBox="0 0 16 16" fill="currentColor" className="shrink-0 text-muted" aria-hidden>
          <path d="M2 2.5A2.5 2.5 0 0 1 4.5 0h8.75a.75.75 0 0 1 .75.75v12.5a.75.75 0 0 1-.75.75h-2.5a.75.75 0 0 1 0-1.5h1.75v-2h-8a1 1 0 0 0-.71 1.71.75.75 0 0 1-1.07 1.05A2.5 2.5 0 0 1 2 11.5Zm10.5-1h-8a1 1 0 0 0-1 1v6.71A2.5 2.5 0 0 1 4.5 9h8ZM5 12.25a.25.25 0 0 1 .25-.25h3.5a.25.25 0 0 1 .25.25v3.25a.25.25 0 0 1-.4.2l-1.45-1.09a.25.25 0 0 0-.3 0L5.4 15.7a.25.25 0 0 1-.4-.2Z" />
        </svg>
        <span className="truncate">{value ? value.fullName : "Choose a repository"}</span>
      </button>
      {open && (
        // Escape closes the list from any of its controls (the search box, the refresh button, an option).
        <div
          onKeyDown={(e) => {
            if (e.key !== "Escape") return;
            e.preventDefault();
            e.stopPropagation();
            close(true);
          }}
          className="absolute left-0 z-30 mt-1 w-[22rem] max-w-[calc(100vw-2rem)] rounded-xl border border-border bg-surface p-2 shadow-lg">
          <div className="flex items-center gap-2">
            <label className="sr-only" htmlFor={`${listId}-search`}>
              Search repositories
            </label>
            <input
              id={`${listId}-search`}
              ref={inputRef}
              value={filter}
              placeholder="Search repositories"
              role="combobox"
              aria-controls={listId}
              aria-expanded="true"
              aria-activedescendant={visible[clampedActive] ? `${listId}-${clampedActive}` : undefined}
              onChange={(e) => {
                setFilter(e.target.value);
                setActive(0);
              }}
              onKeyDown={(e) => {
                if (e.key === "ArrowDown") {
                  e.preventDefault();
                  setActive((a) => Math.min(a + 1, visible.length - 1));
                } else if (e.key === "ArrowUp") {
                  e.preventDefault();
                  setActive((a) => Math.max(a - 1, 0));
                } else if (e.key === "Enter" && visible[clampedActive]) {
                  e.preventDefault();
                  choose(visible[clampedActive]);
                }
              }}
              className="h-8 w-full rounded-lg border border-border bg-bg px-2 text-sm placeholder:text-muted"
            />
            <button
              type="button"
              onClick={() => void refresh()}
              disabled={refreshing}
              className="shrink-0 rounded-md p-1.5 text-muted hover:bg-surface-2 hover:text-fg"
              aria-label="Refresh the repository list"
              title="Refresh the repository list"
            >
              {refreshing ? (
                <Spinner label="Refreshing" />
              ) : (
                <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden>
                  <path d="M21 12a9 9 0 1 1-3-6.7L21 8M21 3v5h-5" />
                </svg>
              )}
            </button>
          </div>
          <div className="mt-2 max-h-72 overflow-y-auto">
            {repos.isPending && (
              <p className="flex items-center gap-2 px-2 py-3 text-sm text-muted">
                <Spinner /> Loading repositories…
              </p>
            )}
            {repos.isError && <ErrorNote error={asClientError(repos.error)} onRetry={() => void repos.refetch()} />}
            {repos.data && repos.data.total === 0 && (
              <div className="px-2 py-3 text-sm text-muted">
                <p>The GitHub App is not installed on any account you can reach.</p>
                {repos.data.install && (
                  <a className="mt-1 inline-block font-medium text-fg underline" href={repos.data.install.href}>
                    {repos.data.install.label}
                  </a>
                )}
              </div>
            )}
            {repos.data && repos.data.total > 0 && visible.length === 0 && (
              <p className="px-2 py-3 text-sm text-muted">No repository matches “{filter}”.</p>
            )}
            <ul id={listId} role="listbox" aria-label="Repositories">
              {visible.map((repo, i) => (
                <li
                  key={repo.fullName}
                  id={`${listId}-${i}`}
                  role="option"
                  aria-selected={value?.fullName === repo.fullName}
                  onMouseEnter={() => setActive(i)}
                  onClick={() => choose(repo)}
                  className={`flex cursor-pointer items-center justify-between rounded-lg px-2 py-1.5 text-sm ${
                    i === clampedActive ? "bg-surface-2" : ""
                  }`}
                >
                  <span className="truncate">{repo.fullName}</span>
                  {repo.private && <span className="ml-2 shrink-0 text-xs text-muted">private</span>}
                </li>
              ))}
            </ul>
          </div>
          {repos.data && repos.data.total > 0 && (
            <p className="mt-1 border-t border-border px-2 pt-1.5 text-xs text-muted">
              {repos.data.total} repositories ·{" "}
              {repos.data.install && (
                <a className="underline" href={repos.data.install.href}>
                  Missing one? Configure the App
                </a>
              )}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
