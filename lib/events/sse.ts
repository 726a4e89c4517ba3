import "server-only";
import type { TaskEventRow } from "@/db/queries/events";
import { publicMessage } from "@/lib/public-message";

const encoder = new TextEncoder();

/** An event row as its SSE message, encoded once: every viewer of the task is sent these same bytes. */
export type EncodedEvent = { id: number; bytes: Uint8Array };

/** An attempt's error as a person sees it: whatever it was built from, no host path or SQL. */
function shown(e: TaskEventRow): TaskEventRow["payload"] {
  const message = e.payload.message;
  return e.type === "error" && typeof message === "string" ? { ...e.payload, message: publicMessage(message) } : e.payload;
}

export function encodeEvent(e: TaskEventRow): EncodedEvent {
  const data = { id: e.id, attemptId: e.attemptId, seq: e.seq, turn: e.turn, type: e.type, payload: shown(e), createdAt: e.createdAt };
  return { id: e.id, bytes: encoder.encode(`id: ${e.id}\ndata: ${JSON.stringify(data)}\n\n`) };
}

/** Several messages as one chunk (one write to each viewer's socket). */
export function joinEncoded(events: readonly EncodedEvent[]): Uint8Array {
  if (events.length === 1) return events[0].bytes;
  let length = 0;
  for (const e of events) length += e.bytes.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const e of events) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}

export const encodeText = (text: string) => encoder.encode(text);
