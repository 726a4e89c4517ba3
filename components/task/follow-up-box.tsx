"use client";

import { useId, useState } from "react";
import { AttachButton, AttachmentTray } from "@/components/attachments/attachment-tray";
import { imageFiles, useImageAttachments } from "@/components/attachments/use-image-attachments";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";

/**
 * What the box does for the attempt on screen: a follow-up once it has finished, a message (steering) while its
 * agent works, nothing while it wraps up.
 */
const IMAGES_WAIT = "Images go with a follow-up: attach them once the agent has finished (a message while it works is text only).";

export type FollowUpMode = "follow-up" | "steer" | "wait" | "steer-unsupported";

export function FollowUpBox({
  taskId,
  attemptId,
  attemptLabel,
  mode,
  delivered,
  onSent,
}: {
  taskId: string;
  attemptId: string;
  /** "Attempt 2" when the task has several; null with one attempt. */
  attemptLabel: string | null;
  mode: FollowUpMode;
  /** The messages the agent has taken so far (its steer events): a sent message stops waiting once it is among them. */
  delivered: readonly string[];
  onSent: () => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<ClientError | null>(null);
  const [sending, setSending] = useState(false);
  const [pending, setPending] = useState<{ attemptId: string; text: string }[]>([]);
  const [dragging, setDragging] = useState(false);
  const [imageNote, setImageNote] = useState<string | null>(null);
  const images = useImageAttachments();
  const id = useId();
  const disabled = mode === "wait" || mode === "steer-unsupported";
  // Images go with a follow-up (a message to a working agent is text only).
  const takesImages = mode === "follow-up";
  const waiting = pending.filter((p) => p.attemptId === attemptId && !delivered.includes(p.text));

  async function send() {
    const prompt = text.trim();
    if (!prompt || disabled) return;
    setSending(true);
    setError(null);
    try {
      if (mode === "steer") {
        await fetchJson(`/api/tasks/${taskId}/messages`, { method: "POST", body: JSON.stringify({ attemptId, text: prompt }) });
        setPending((p) => [...p, { attemptId, text: prompt }]);
      } else {
        await fetchJson(`/api/tasks/${taskId}/follow-ups`, { method: "POST", body: JSON.stringify({ prompt, attemptId, images: images.ids }) });
        images.clear();
      }
      setText("");
      onSent();
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setSending(false);
    }
  }

  const target = attemptLabel ?? "the agent";
  const placeholder =
    mode === "steer"
      ? `Message ${target} while it works: it reads it at its next step`
      : mode === "wait"
        ? `${attemptLabel ?? "The attempt"} is finishing: follow up in a moment`
        : mode === "steer-unsupported"
          ? "This engine takes no messages while it works: follow up when it has finished, or stop it"
          : attemptLabel
            ? `Ask ${attemptLabel} for a change or a follow-up`
            : "Ask for a change or a follow-up";

  return (
    <form
      className={`rounded-xl border bg-surface p-2 ${dragging ? "border-ring" : "border-border"}`}
      data-mode={mode}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      onDragOver={(e) => {
        if (!takesImages || ![...e.dataTransfer.types].includes("Files")) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        setDragging(false);
        const files = imageFiles(e.dataTransfer);
        if (files.length === 0) return;
        e.preventDefault();
        if (takesImages) void images.add(files);
        else setImageNote(IMAGES_WAIT);
      }}
    >
      <label htmlFor={id} className="sr-only">
        {mode === "steer" ? "Message while it works" : "Follow-up"}
      </label>
      {waiting.length > 0 && (
        <ul aria-label="Messages on their way" className="mb-2 flex flex-col gap-1">
          {waiting.map((p, i) => (
            <li key={i} className="flex items-center gap-2 rounded-lg bg-surface-2 px-2 py-1 text-xs text-muted" data-testid="steer-pending">
              <Spinner size={11} label="Waiting" /> <span className="min-w-0 flex-1 truncate text-fg">{p.text}</span> waits for the agent&apos;s next step
            </li>
          ))}
        </ul>
      )}
      <textarea
        id={id}
        value={text}
        rows={2}
        maxLength={mode === "steer" ? 4000 : 20000}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onPaste={(e) => {
          // Text wins over the picture some apps copy along with it.
          if (e.clipboardData.types.includes("text/plain")) return;
          const files = imageFiles(e.clipboardData);
          if (files.length === 0) return;
          e.preventDefault();
          if (takesImages) void images.add(files);
          else setImageNote(IMAGES_WAIT);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
            e.preventDefault();
            void send();
          }
        }}
        placeholder={placeholder}
        className="block w-full resize-none bg-transparent px-1 text-sm placeholder:text-muted focus:outline-none disabled:cursor-not-allowed"
      />
      {takesImages && <AttachmentTray attachments={images} />}
      {!takesImages && imageNote && (
        <p role="status" className="mt-1 text-xs text-muted">
          {imageNote}
        </p>
      )}
      {error && <ErrorNote error={error} />}
      <div className="mt-1 flex items-center justify-between gap-2">
        {takesImages && <AttachButton attachments={images} disabled={sending} />}
        <span className="mr-auto text-xs text-muted">
          {mode === "steer" ? `Sends to ${target} without stopping it` : attemptLabel ? `Continues ${attemptLabel}` : ""}
        </span>
        <Button type="submit" variant="primary" disabled={disabled || sending || !text.trim() || (takesImages && images.uploading)}>
          {sending && <Spinner size={12} label="Sending" />}
          {mode === "steer" ? "Send message" : "Send"}
        </Button>
      </div>
    </form>
  );
}
