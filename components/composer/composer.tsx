"use client";

import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import type { EngineName } from "@/lib/engines/names";
import { BranchPicker } from "./branch-picker";
import { EnginePicker } from "./engine-picker";
import { RepoPicker } from "./repo-picker";
import type { Repo } from "./types";
import { warmRepo } from "./warm";

/** `engine` is absent when the person kept the default (the environment's engine, else the server's). */
export type ComposerSubmit = { repo: Repo; branch: string; mode: "code" | "ask"; prompt: string; attempts: number; engine?: EngineName };

const LAST_REPO_KEY = "patchbay-last-repo";

/**
 * The prompt box with its repository, branch and attempts; Ask and Code submit. The box clears at once so a
 * person can fire the next task without waiting for the last one.
 */
export function Composer({ onSubmit }: { onSubmit?: (task: ComposerSubmit) => Promise<void> | void }) {
  const [prompt, setPrompt] = useState("");
  const [repo, setRepo] = useState<Repo | null>(null);
  const [branch, setBranch] = useState<string | null>(null);
  const [attempts, setAttempts] = useState(1);
  const [engine, setEngine] = useState<EngineName | null>(null);
  const [error, setError] = useState<ClientError | null>(null);
  const promptId = useId();
  const attemptsId = useId();
  const textareaRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    try {
      const saved = localStorage.getItem(LAST_REPO_KEY);
      // eslint-disable-next-line react-hooks/set-state-in-effect -- restoring the last choice after hydration
      if (saved) setRepo(JSON.parse(saved) as Repo);
    } catch {
      // ignore a corrupt saved choice
    }
  }, []);

  function chooseRepo(next: Repo) {
    setRepo(next);
    setBranch(null);
    setEngine(null);
    localStorage.setItem(LAST_REPO_KEY, JSON.stringify(next));
    warmRepo(next.fullName, next.defaultBranch);
  }

  function chooseBranch(next: string) {
    setBranch(next);
    if (repo) warmRepo(repo.fullName, next);
  }

  async function submit(mode: "code" | "ask") {
    const text = prompt.trim();
    if (!repo) return setError({ code: "no_repo", message: "Choose a repository first." });
    if (!text) return setError({ code: "no_prompt", message: "Describe the task first." });
    setError(null);
    setPrompt("");
    try {
      await onSubmit?.({ repo, branch: branch ?? repo.defaultBranch, mode, prompt: text, attempts, ...(engine ? { engine } : {}) });
    } catch (err) {
      setPrompt((current) => current || text); // nothing typed is lost when creating fails
      setError((err as { info?: ClientError }).info ?? { code: "unknown", message: "The task could not be created." });
    }
    textareaRef.current?.focus();
  }

  return (
    <form
      className="rounded-2xl border border-border bg-surface p-3 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        void submit("code");
      }}
    >
      <label htmlFor={promptId} className="sr-only">
        Describe a task
      </label>
      <textarea
        id={promptId}
        ref={textareaRef}
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
            e.preventDefault();
            void submit("code");
          }
        }}
        rows={3}
        maxLength={20000}
        placeholder="Describe a task, or ask a question about the code"
        className="block w-full resize-y bg-transparent px-1 py-1 text-[15px] leading-6 placeholder:text-muted focus:outline-none focus-visible:outline-none"
      />
      {error && (
        <div className="mt-2">
          <ErrorNote error={error} />
        </div>
      )}
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <RepoPicker value={repo} onChange={chooseRepo} />
        <BranchPicker repo={repo} value={branch} onChange={chooseBranch} />
        <label htmlFor={attemptsId} className="sr-only">
          Attempts
        </label>
        <select
          id={attemptsId}
          value={attempts}
          onChange={(e) => setAttempts(Number(e.target.value))}
          className="h-8 rounded-lg border border-border bg-surface px-2 text-sm hover:bg-surface-2"
          title="Best-of-N: independent attempts to choose from"
        >
          {[1, 2, 3, 4].map((n) => (
            <option key={n} value={n}>
              {n}x
            </option>
          ))}
        </select>
        {repo && (
          <Link
            href={`/environments/${repo.fullName}`}
            className="inline-flex h-8 items-center rounded-lg px-2 text-xs text-muted hover:bg-surface-2 hover:text-fg"
            title="Setup script, variables, secrets and internet access for this repository"
          >
            Environment
          </Link>
        )}
        <div className="ml-auto flex items-center gap-2">
          <span className="hidden text-xs text-muted md:inline">Ctrl+Enter to code</span>
          <EnginePicker repo={repo} value={engine} onChange={setEngine} />
          <Button onClick={() => void submit("ask")} aria-label="Ask: answer a question without changing code">
            Ask
          </Button>
          <Button type="submit" variant="primary" aria-label="Code: make changes that can become a pull request">
            Code
          </Button>
        </div>
      </div>
    </form>
  );
}
