"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { fetchJson } from "@/components/ui/fetch-json";
import { ENGINE_LABELS, ENGINE_NAMES, type EngineName } from "@/lib/engines/names";
import type { Repo } from "./types";

type EnvironmentEngine = { environment: { engine: EngineName | null; defaultEngine: EngineName } };

/**
 * Who works the task: the Patchbay agent, Codex CLI or Claude Code. Until the person picks one, the select shows
 * the repository's environment's engine (else the server's default), which is what the task gets.
 */
export function EnginePicker({ repo, value, onChange }: { repo: Repo | null; value: EngineName | null; onChange: (engine: EngineName) => void }) {
  const id = useId();
  const env = useQuery({
    queryKey: ["environment-engine", repo?.fullName],
    queryFn: () => fetchJson<EnvironmentEngine>(`/api/environments/${repo!.fullName}`),
    enabled: Boolean(repo),
    staleTime: 60_000,
    retry: false,
  });
  const fallback = env.data ? (env.data.environment.engine ?? env.data.environment.defaultEngine) : "patchbay";
  const shown = value ?? fallback;
  return (
    <>
      <label htmlFor={id} className="sr-only">
        Engine
      </label>
      <select
        id={id}
        value={shown}
        onChange={(e) => onChange(e.target.value as EngineName)}
        className="h-8 rounded-lg border border-border bg-surface px-2 text-sm hover:bg-surface-2"
        title="The engine that works the task (default: the repository's environment)"
        data-testid="engine-select"
      >
        {ENGINE_NAMES.map((name) => (
          <option key={name} value={name}>
            {ENGINE_LABELS[name]}
          </option>
        ))}
      </select>
    </>
  );
}
