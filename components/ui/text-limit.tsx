"use client";

import { useState } from "react";

/**
 * A text field's length limit said out loud: text pasted past it is cut and the cut is announced; near the limit a
 * counter shows what is left. `accept` takes the field's new value and returns what the field keeps; `pasteInto` fits
 * a paste in.
 */
export function useTextLimit(max: number) {
  const [cut, setCut] = useState<number | null>(null);
  return {
    max,
    cut,
    accept(value: string): string {
      if (value.length > max) {
        setCut(value.length - max);
        return value.slice(0, max);
      }
      if (cut !== null && value.length < max) setCut(null);
      return value;
    },
    /**
     * A paste that would pass the limit: what fits goes in at the caret, the text around it kept (cutting the end
     * instead would drop what the person had already written), and the rest is announced as cut. Null when the
     * paste fits: the browser pastes as usual.
     */
    pasteInto(field: HTMLTextAreaElement | HTMLInputElement, pasted: string): string | null {
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? start;
      const room = Math.max(0, max - (field.value.length - (end - start)));
      if (pasted.length <= room) return null;
      const kept = pasted.slice(0, room);
      setCut(pasted.length - kept.length);
      requestAnimationFrame(() => field.setSelectionRange(start + kept.length, start + kept.length));
      return field.value.slice(0, start) + kept + field.value.slice(end);
    },
    reset() {
      setCut(null);
    },
  };
}

export function TextLimitNote({ length, limit }: { length: number; limit: { max: number; cut: number | null } }) {
  const near = length >= limit.max * 0.9;
  if (!near && limit.cut === null) return null;
  return (
    <p className={`text-xs ${limit.cut !== null ? "text-danger" : "text-muted"}`} aria-live="polite" data-testid="text-limit">
      {limit.cut !== null
        ? `Cut to ${limit.max.toLocaleString("en")} characters: ${limit.cut.toLocaleString("en")} more did not fit.`
        : `${length.toLocaleString("en")} / ${limit.max.toLocaleString("en")} characters`}
    </p>
  );
}
