"use client";

import { useState } from "react";

/**
 * A text field's length limit said out loud: text pasted past it is cut and the cut is announced; near the limit a
 * counter shows what is left. `onChange` takes the typed value and returns what the field keeps.
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
