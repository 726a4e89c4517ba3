"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { LineRange } from "@/components/log/types";
import { ErrorNote } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";

/** A cited file of the attempt's workspace, scrolled to and highlighting the cited lines. */
export function FilePeek({ taskId, attemptId, path, lines, onClose }: { taskId: string; attemptId: string; path: string; lines?: LineRange; onClose: () => void }) {
  const file = useQuery({
    queryKey: ["file", attemptId, path],
    queryFn: () => fetchJson<{ path: string; content: string }>(`/api/tasks/${taskId}/attempts/${attemptId}/file?path=${encodeURIComponent(path)}`),
  });
  const target = useRef<HTMLTableRowElement>(null);
  useEffect(() => {
    target.current?.scrollIntoView({ block: "center" });
  }, [file.data, lines]);
  const rows = file.data?.content.split("\n") ?? [];
  if (rows.at(-1) === "") rows.pop();
  return (
    <div className="rounded-lg border border-border" data-testid="file-peek">
      <div className="flex items-center justify-between border-b border-border bg-surface-2 px-3 py-1.5 text-xs">
        <span className="font-mono">
          {path}
          {lines ? `:${lines[0]}${lines[1] !== lines[0] ? `-${lines[1]}` : ""}` : ""}
        </span>
        <button type="button" onClick={onClose} className="rounded px-1.5 text-muted hover:text-fg" aria-label="Close file">
          ✕
        </button>
      </div>
      {file.isPending && (
        <p className="flex items-center gap-2 p-3 text-sm text-muted">
          <Spinner /> Loading {path}…
        </p>
      )}
      {file.isError && (
        <div className="p-3">
          <ErrorNote error={asClientError(file.error)} />
        </div>
      )}
      {file.data && (
        <div className="max-h-[60vh] overflow-auto">
          <table className="w-full border-collapse font-mono text-xs leading-5">
            <tbody>
              {rows.map((text, i) => {
                const n = i + 1;
                const hit = lines && n >= lines[0] && n <= lines[1];
                return (
                  <tr key={n} ref={lines && n === lines[0] ? target : undefined} className={hit ? "bg-ring/15" : ""} data-highlighted={hit || undefined}>
                    <td className="w-10 select-none pr-2 text-right align-top text-muted">{n}</td>
                    <td className="whitespace-pre-wrap break-all pr-3">{text}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
