"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { AttachButton, AttachmentTray } from "@/components/attachments/attachment-tray";
import { imageFiles, useImageAttachments } from "@/components/attachments/use-image-attachments";
import { PERSONAL_KEY_PREFIX, useCurrentUser } from "@/components/layout/current-user";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { fetchJson } from "@/components/ui/fetch-json";
import { TextLimitNote, useTextLimit } from "@/components/ui/text-limit";
import type { EngineName } from "@/lib/engines/names";
import { BranchPicker } from "./branch-picker";
import { EnginePicker } from "./engine-picker";
import { RepoPicker } from "./repo-picker";
import type { Repo, ReposResponse } from "./types";
import { warmRepo } from "./warm";

/** `engine` is absent when the person kept the default (the environment's engine, else the server's). */
export type ComposerSubmit = {
  repo: Repo;
  branch: string;
  mode: "code" | "ask";
  prompt: string;
  attempts: number;
  engine?: EngineName;
  /** Uploaded image ids (POST /api/images). */
  images: string[];
};

const MAX_PROMPT = 20_000;

/**
 * The prompt box with its repository, branch, attempts and images; Ask and Code submit. The box clears at once so
 * a person can fire the next task without waiting for the last one.
 */
export function Composer({ onSubmit }: { onSubmit?: (task: ComposerSubmit) => Promise<void> | void }) {
  const user = useCurrentUser();
  // The last repository is remembered per person: the next one to sign in on this browser never sees it.
  const lastRepoKey = `${PERSONAL_KEY_PREFIX}:${user?.id ?? "anonymous"}`;
  const [prompt, setPrompt] = useState("");
  const [repo, setRepo] = useState<Repo | null>(null);
  const [branch, setBranch] = useState<string | null>(null);
  const [attempts, setAttempts] = useState(1);
  const [engine, setEngine] = useState<EngineName | null>(null);
  const [error, setError] = useState<ClientError | null>(null);
  const [dragging, setDragging] = useState(false);
  const images = useImageAttachments();
  const limit = useTextLimit(MAX_PROMPT);
  const promptId = useId();
  const attemptsId = useId();
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const repos = useQuery({ queryKey: ["repos"], queryFn: () => fetchJson<ReposResponse>("/api/repos") });

  useEffect(() => {
    try {
      const saved = localStorage.getItem(lastRepoKey);
      // eslint-disable-next-line react-hooks/set-state-in-effect -- restoring the last choice after hydration
      if (saved) setRepo(JSON.parse(saved) as Repo);
    } catch {
      // ignore a corrupt saved choice
    }
  }, [lastRepoKey]);

  // A remembered repository the person can no longer reach is forgotten, not offered.
  const reachable = repos.data?.repos;
  useEffect(() => {
    if (!repo || !reachable || reachable.some((r) => r.fullName === repo.fullName)) return;
    localStorage.removeItem(lastRepoKey);
    // eslint-disable-next-line react-hooks/set-state-in-effect -- dropping a choice the server no longer offers
    setRepo(null);
  }, [repo, reachable, lastRepoKey]);

  function chooseRepo(next: Repo) {
    setRepo(next);
    setBranch(null);
    setEngine(null);
    if (error?.code === "no_repo") setError(null);
    localStorage.setItem(lastRepoKey, JSON.stringify(next));
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
    if (images.uploading) return setError({ code: "uploading", message: "Wait for the images to finish uploading." });
    setError(null);
    const attached = images.items;
    const imageIds = images.ids;
    setPrompt("");
    limit.reset();
    images.clear();
    textareaRef.current?.focus();
    try {
      await onSubmit?.({ repo, branch: branch ?? repo.defaultBranch, mode, prompt: text, attempts, images: imageIds, ...(engine ? { engine } : {}) });
      for (const a of attached) URL.revokeObjectURL(a.preview);
    } catch (err) {
      setPrompt((current) => current || text); // nothing typed is lost when creating fails
      images.restore(attached);
      setError((err as { info?: ClientError }).info ?? { code: "unknown", message: "The task could not be created." });
      textareaRef.current?.focus();
    }
  }

  return (
    <form
      className={`rounded-2xl border bg-surface p-3 shadow-sm ${dragging ? "border-ring" : "border-border"}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit("code");
      }}
      onDragOver={(e) => {
        if (![...e.dataTransfer.types].includes("Files")) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        const files = imageFiles(e.dataTransfer);
        setDragging(false);
        if (files.length === 0) return;
        e.preventDefault();
        void images.add(files);
      }}
    >
      <label htmlFor={promptId} className="sr-only">
        Describe a task
      </label>
      <textarea
        id={promptId}
        ref={textareaRef}
        value={prompt}
        onChange={(e) => {
          setPrompt(limit.accept(e.target.value));
          if (error?.code === "no_prompt" && e.target.value.trim()) setError(null);
        }}
        onPaste={(e) => {
          // Text wins over the picture some apps copy along with it (a spreadsheet's cells).
          if (e.clipboardData.types.includes("text/plain")) {
            const next = limit.pasteInto(e.currentTarget, e.clipboardData.getData("text/plain"));
            if (next === null) return;
            e.preventDefault();
            setPrompt(next);
            return;
          }
          const files = imageFiles(e.clipboardData);
          if (files.length === 0) return;
          e.preventDefault();
          void images.add(files);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
            e.preventDefault();
            void submit("code");
          }
        }}
        rows={3}
        placeholder="Describe a task, or ask a question about the code (Ctrl+Enter to code)"
        aria-keyshortcuts="Control+Enter"
        className="block w-full resize-y bg-transparent px-1 py-1 text-[15px] leading-6 placeholder:text-muted focus:outline-none focus-visible:outline-none"
      />
      <TextLimitNote length={prompt.length} limit={limit} />
      <AttachmentTray attachments={images} />
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
        <AttachButton attachments={images} />
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
