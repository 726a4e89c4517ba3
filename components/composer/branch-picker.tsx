"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import type { Branch, Repo } from "./types";

export function BranchPicker({
  repo,
  value,
  onChange,
}: {
  repo: Repo | null;
  value: string | null;
  onChange: (branch: string) => void;
}) {
  const id = useId();
  const branches = useQuery({
    queryKey: ["branches", repo?.fullName],
    queryFn: () => fetchJson<{ branches: Branch[] }>(`/api/repos/${repo!.fullName}/branches`),
    enabled: Boolean(repo),
  });
  const selected = value ?? repo?.defaultBranch ?? "";
  const options = branches.data?.branches ?? (repo ? [{ name: repo.defaultBranch, isDefault: true, protected: false }] : []);
  return (
    <div className="inline-flex items-center">
      <label htmlFor={id} className="sr-only">
        Branch
      </label>
      <select
        id={id}
        value={selected}
        disabled={!repo}
        onChange={(e) => onChange(e.target.value)}
        title={branches.isError ? asClientError(branches.error).message : undefined}
        className="h-8 max-w-[12rem] rounded-lg border border-border bg-surface px-2 text-sm hover:bg-surface-2 disabled:opacity-50"
      >
        {options.length === 0 && <option value="">Branch</option>}
        {options.map((b) => (
          <option key={b.name} value={b.name}>
            {b.name}
          </option>
        ))}
      </select>
      {branches.isError && (
        <span role="alert" className="ml-2 text-xs text-danger">
          {asClientError(branches.error).message}
        </span>
      )}
    </div>
  );
}
