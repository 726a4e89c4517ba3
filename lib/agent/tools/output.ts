import "server-only";

export const DEFAULT_TOOL_OUTPUT_BYTES = 16 * 1024;

/**
 * Keeps the head and the tail of `text` within about `maxBytes`, cutting at line boundaries where possible, with a
 * marker saying how much was left out (so line numbers of the tail can still be worked out).
 */
export function truncateForModel(text: string, maxBytes = DEFAULT_TOOL_OUTPUT_BYTES): string {
  const total = Buffer.byteLength(text, "utf8");
  if (total <= maxBytes) return text;
  const half = Math.floor(maxBytes / 2);
  const buf = Buffer.from(text, "utf8");
  let headEnd = half;
  const nlHead = buf.lastIndexOf(0x0a, half - 1);
  if (nlHead > half / 2) headEnd = nlHead + 1;
  let tailStart = total - half;
  const nlTail = buf.indexOf(0x0a, tailStart);
  if (nlTail >= 0 && nlTail < total - half / 2) tailStart = nlTail + 1;
  // Avoid splitting a UTF-8 sequence.
  while (headEnd > 0 && (buf[headEnd] & 0xc0) === 0x80) headEnd--;
  while (tailStart < total && (buf[tailStart] & 0xc0) === 0x80) tailStart++;
  const head = buf.subarray(0, headEnd).toString("utf8");
  const omitted = buf.subarray(headEnd, tailStart);
  const tail = buf.subarray(tailStart).toString("utf8");
  let omittedLines = 0;
  for (const b of omitted) if (b === 0x0a) omittedLines++;
  const marker = `… ${omitted.length} bytes omitted (${omittedLines} lines) …`;
  return `${head}${head.endsWith("\n") ? "" : "\n"}${marker}\n${tail}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A tool's `max_output_tokens`, as bytes for truncateForModel (about 4 bytes a token), never above the run's cap. */
export function outputBytes(maxOutputTokens: number | undefined, cap = DEFAULT_TOOL_OUTPUT_BYTES): number {
  return maxOutputTokens === undefined ? cap : Math.max(256, Math.min(cap, maxOutputTokens * 4));
}

export function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
