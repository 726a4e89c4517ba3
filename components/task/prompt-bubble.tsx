"use client";

import { useId, useState } from "react";

const LONG_CHARS = 700;
const LONG_LINES = 10;

/** The person's prompt: long ones fold to a few lines with Show more; long words and URLs wrap inside the bubble. */
export function PromptBubble({ text, images, label }: { text: string; images: readonly string[]; label?: string }) {
  const long = text.length > LONG_CHARS || text.split("\n").length > LONG_LINES;
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className="flex min-w-0 max-w-[92%] flex-col items-end gap-1.5 self-end" data-testid="prompt">
      {label && <span className="text-xs text-muted">{label}</span>}
      <div className="min-w-0 max-w-full rounded-2xl rounded-br-md bg-surface-2 px-3 py-2 text-sm">
        <div
          id={id}
          data-testid="prompt-text"
          className={`whitespace-pre-wrap [overflow-wrap:anywhere] ${long && !open ? "line-clamp-6" : ""}`}
        >
          {text}
        </div>
        {long && (
          <button
            type="button"
            aria-expanded={open}
            aria-controls={id}
            onClick={() => setOpen(!open)}
            className="mt-1 text-xs font-medium text-muted underline underline-offset-2 hover:text-fg"
          >
            {open ? "Show less" : "Show more"}
          </button>
        )}
      </div>
      {images.length > 0 && (
        <ul aria-label="Attached images" className="flex flex-wrap justify-end gap-2">
          {images.map((img, i) => (
            <li key={img}>
              <a href={`/api/images/${img}`} target="_blank" rel="noreferrer" className="block">
                {/* eslint-disable-next-line @next/next/no-img-element -- the app's own stored image, sized by CSS */}
                <img
                  src={`/api/images/${img}`}
                  alt={`Attached image ${i + 1}`}
                  loading="lazy"
                  className="h-20 w-20 rounded-lg border border-border object-cover"
                  data-testid="turn-image"
                />
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
