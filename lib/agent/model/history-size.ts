import "server-only";

/** An image costs the model a roughly fixed number of tokens, whatever the length of its base64 data URL. */
const IMAGE_CHARS = 4_000;

/** Characters of a serialized conversation, counting each data: URL as IMAGE_CHARS: a proxy for its size in tokens. */
export function serializedSize(value: unknown): number {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" && v.startsWith("data:") ? "x".repeat(IMAGE_CHARS) : v)).length;
}

/** Keeps the newest texts whose total stays within `maxChars` (always at least the newest), in their order. */
export function newestWithin<T>(items: T[], textOf: (t: T) => string, maxChars: number): T[] {
  const kept: T[] = [];
  let total = 0;
  for (let i = items.length - 1; i >= 0; i--) {
    const n = textOf(items[i]).length;
    if (kept.length > 0 && total + n > maxChars) break;
    kept.unshift(items[i]);
    total += n;
  }
  return kept;
}

export const SUMMARY_PREFIX =
  "The conversation so far was compacted to fit the model's context window. The user's messages are above; what " +
  "follows is a summary of the work done so far, written by the agent itself. Continue from there: do not redo " +
  "finished work, and re-read files or re-run commands when you need their exact content.\n\n";

/** First line of the request for a handoff summary (lib/agent/compaction.ts); the fake model keys off it too. */
export const COMPACTION_MARKER = "CONTEXT CHECKPOINT COMPACTION";

/** A user message the agent wrote for compaction (the request, or an earlier summary), not one of the user's own. */
export function isCompactionText(text: string): boolean {
  return text.startsWith(COMPACTION_MARKER) || text.startsWith(SUMMARY_PREFIX);
}
