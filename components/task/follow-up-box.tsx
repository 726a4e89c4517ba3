"use client";

import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";

export function FollowUpBox({ taskId, disabled, onSent }: { taskId: string; disabled: boolean; onSent: () => void }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<ClientError | null>(null);
  const [sending, setSending] = useState(false);
  const id = useId();

  async function send() {
    const prompt = text.trim();
    if (!prompt || disabled) return;
    setSending(true);
    setError(null);
    try {
      await fetchJson(`/api/tasks/${taskId}/follow-ups`, { method: "POST", body: JSON.stringify({ prompt }) });
      setText("");
      onSent();
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setSending(false);
    }
  }

  return (
    <form
      className="rounded-xl border border-border bg-surface p-2"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label htmlFor={id} className="sr-only">
        Follow-up
      </label>
      <textarea
        id={id}
        value={text}
        rows={2}
        maxLength={20000}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
            e.preventDefault();
            void send();
          }
        }}
        placeholder={disabled ? "Wait for the agent to finish, or stop it, to follow up" : "Ask for a change or a follow-up"}
        className="block w-full resize-none bg-transparent px-1 text-sm placeholder:text-muted focus:outline-none"
      />
      {error && <ErrorNote error={error} />}
      <div className="mt-1 flex justify-end">
        <Button type="submit" variant="primary" disabled={disabled || sending || !text.trim()}>
          Send
        </Button>
      </div>
    </form>
  );
}
