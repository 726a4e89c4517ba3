export type SseEvent = { id: number; data: Record<string, unknown> };

/** Reads server-sent events from a byte stream until `until` says stop (or the stream ends). */
export async function readSse(
  stream: ReadableStream<Uint8Array>,
  until: (events: SseEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<SseEvent[]> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = "";
  const timer = setTimeout(() => void reader.cancel("timeout"), timeoutMs);
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) events.push({ id: Number(id), data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
  return events;
}
