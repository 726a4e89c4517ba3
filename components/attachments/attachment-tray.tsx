"use client";

import { useId, useRef } from "react";
import { Spinner } from "@/components/ui/spinner";
import { IMAGE_TYPES, MAX_IMAGES, type ImageAttachments } from "./use-image-attachments";

/** The attached images' previews, each with a remove button, and why a file was not attached. */
export function AttachmentTray({ attachments }: { attachments: ImageAttachments }) {
  const { items, problem, remove } = attachments;
  if (items.length === 0 && !problem) return null;
  return (
    <div className="mt-2 flex flex-col gap-2">
      {items.length > 0 && (
        <ul aria-label="Attached images" className="flex flex-wrap gap-2">
          {items.map((a, i) => (
            <li key={a.key} className="relative" data-testid="attachment">
              {/* eslint-disable-next-line @next/next/no-img-element -- a local preview (data: URL) */}
              <img src={a.preview} alt={`Image ${i + 1}: ${a.name}`} className="h-16 w-16 rounded-lg border border-border object-cover" />
              {a.status === "uploading" && (
                <span className="absolute inset-0 flex items-center justify-center rounded-lg bg-bg/70">
                  <Spinner label={`Uploading ${a.name}`} />
                </span>
              )}
              <button
                type="button"
                onClick={() => remove(a.key)}
                aria-label={`Remove image ${i + 1} (${a.name})`}
                className="absolute -right-1.5 -top-1.5 flex h-5 w-5 items-center justify-center rounded-full border border-border bg-surface text-muted shadow-sm hover:text-fg"
              >
                <svg width="10" height="10" viewBox="0 0 16 16" aria-hidden fill="none" stroke="currentColor" strokeWidth="2.2">
                  <path d="M4 4l8 8M12 4l-8 8" strokeLinecap="round" />
                </svg>
              </button>
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <p role="alert" className="text-xs text-danger">
          {problem}
        </p>
      )}
    </div>
  );
}

/** A paperclip that opens the file picker (PNG, JPEG, WebP). */
export function AttachButton({ attachments, disabled }: { attachments: ImageAttachments; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const full = attachments.items.length >= MAX_IMAGES;
  return (
    <>
      <input
        id={id}
        ref={input}
        type="file"
        accept={IMAGE_TYPES.join(",")}
        multiple
        className="sr-only"
        tabIndex={-1}
        aria-hidden
        data-testid="image-input"
        onChange={(e) => {
          void attachments.add([...(e.target.files ?? [])]);
          e.target.value = "";
        }}
      />
      <button
        type="button"
        disabled={disabled || full}
        onClick={() => input.current?.click()}
        aria-label="Attach images"
        title={full ? `At most ${MAX_IMAGES} images` : "Attach images (PNG, JPEG, WebP up to 5 MB) — or paste or drop them"}
        className="inline-flex h-8 w-8 items-center justify-center rounded-lg text-muted hover:bg-surface-2 hover:text-fg disabled:opacity-40"
      >
        <svg width="15" height="15" viewBox="0 0 24 24" aria-hidden fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l8.57-8.57A4 4 0 1 1 18 8.84l-8.59 8.57a2 2 0 0 1-2.83-2.83l8.49-8.48" />
        </svg>
      </button>
    </>
  );
}
