"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import type { Citation } from "@/components/log/types";
import { AgentMarkdown } from "@/components/markdown";
import { splitTaskStubs, stubPrompt, type TaskStub } from "@/components/markdown/task-stubs";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";

/** The agent's final message; the Code tasks an Ask answer proposes become cards with a Start task button. */
export function AgentMessage({
  text,
  onCitation,
  startTask,
}: {
  text: string;
  onCitation: (c: Citation) => void;
  /** Where a proposed task runs (the Ask task's repository and branch); without it stubs show as cards only. */
  startTask?: { repo: string; branch: string };
}) {
  const parts = useMemo(() => splitTaskStubs(text), [text]);
  return (
    <div className="flex flex-col gap-3">
      {parts.map((p, i) =>
        p.kind === "markdown" ? (
          <AgentMarkdown key={i} text={p.text} onCitation={onCitation} />
        ) : (
          <StubCard key={i} stub={p.stub} startTask={startTask} onCitation={onCitation} />
        ),
      )}
    </div>
  );
}

function StubCard({ stub, startTask, onCitation }: { stub: TaskStub; startTask?: { repo: string; branch: string }; onCitation: (c: Citation) => void }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  async function start() {
    if (!startTask) return;
    setBusy(true);
    setError(null);
    try {
      const res = await fetchJson<{ task: { id: string } }>("/api/tasks", {
        method: "POST",
        body: JSON.stringify({ repo: startTask.repo, branch: startTask.branch, mode: "code", prompt: stubPrompt(stub) }),
      });
      router.push(`/tasks/${res.task.id}`);
    } catch (err) {
      setError(asClientError(err));
      setBusy(false);
    }
  }
  return (
    <article aria-label={`Proposed task: ${stub.title}`} data-testid="task-stub" className="rounded-xl border border-border bg-surface p-3">
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="text-xs font-medium uppercase tracking-wide text-muted">Proposed task</p>
          <h3 className="mt-0.5 text-sm font-semibold [overflow-wrap:anywhere]">{stub.title}</h3>
        </div>
        {startTask && (
          <Button variant="primary" onClick={() => void start()} disabled={busy} aria-label={`Start task: ${stub.title}`}>
            {busy && <Spinner size={12} label="Starting" />} Start task
          </Button>
        )}
      </div>
      {stub.body && <AgentMarkdown text={stub.body} onCitation={onCitation} className="mt-2 text-muted" />}
      {error && (
        <div className="mt-2">
          <ErrorNote error={error} onRetry={() => void start()} />
        </div>
      )}
    </article>
  );
}
