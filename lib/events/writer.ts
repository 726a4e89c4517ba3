import "server-only";
import type { DbHandle } from "@/db";
import { insertEvents, type NewTaskEvent } from "@/db/queries/events";
import { maxEventSeq } from "@/db/queries/tasks";
import type { TaskEventType } from "@/db/schema";
import { logError } from "@/lib/log";
import { storableText } from "@/lib/text";
import { publishTaskEvents, writingTaskEvents } from "./bus";

const MAX_MERGED_TEXT = 64 * 1024;

/** A payload PostgreSQL accepts: a NUL printed by a command must not cost the whole batch of events. */
function storable(value: unknown): unknown {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)]));
  return value;
}

function mergeable(last: NewTaskEvent, type: TaskEventType, payload: Record<string, unknown>): boolean {
  return (
    last.type === type &&
    (type === "message_delta" || type === "reasoning_delta" || type === "log") &&
    typeof last.payload.text === "string" &&
    typeof payload.text === "string" &&
    last.payload.text.length + payload.text.length <= MAX_MERGED_TEXT &&
    last.payload.chunkId === payload.chunkId &&
    last.payload.stream === payload.stream
  );
}

/** Coalescing window for chatty events (output chunks, text deltas): few rows, still live to the eye. */
const FLUSH_MS = 60;

/**
 * The single writer of one attempt's events. Sequence numbers are drawn here in order; output and text deltas
 * are buffered for a few milliseconds and written as a batch, then readers are woken.
 */
export class AttemptEventWriter {
  private seq: number;
  private pending: NewTaskEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: DbHandle,
    private readonly taskId: string,
    private readonly attemptId: string,
    private readonly turn: number,
    lastSeq: number,
  ) {
    this.seq = lastSeq;
  }

  static async open(handle: DbHandle, opts: { taskId: string; attemptId: string; turn: number }) {
    const last = await maxEventSeq(handle.db, opts.attemptId);
    return new AttemptEventWriter(handle, opts.taskId, opts.attemptId, opts.turn, last);
  }

  /**
   * Queues an event; chatty types are written within FLUSH_MS, others at once. A coalesced text event right after
   * one of the same kind (same type, chunk and stream) is merged into it, so a streamed reply is a few rows.
   * `batch`: written within FLUSH_MS too, with what follows (a command's start, its output and its end are then one
   * write), but never merged.
   */
  append(type: TaskEventType, raw: Record<string, unknown>, opts: { coalesce?: boolean; batch?: boolean } = {}): Promise<void> {
    const payload = storable(raw) as Record<string, unknown>;
    const last = this.pending.at(-1);
    if (opts.coalesce && last && mergeable(last, type, payload)) {
      last.payload = { ...last.payload, text: String(last.payload.text) + String(payload.text) };
      this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
      return Promise.resolve();
    }
    this.pending.push({ taskId: this.taskId, attemptId: this.attemptId, turn: this.turn, seq: ++this.seq, type, payload });
    if (opts.coalesce || opts.batch) {
      this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
      return Promise.resolve();
    }
    return this.flush();
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending.splice(0);
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing
      .then(async () => {
        const done = writingTaskEvents(this.handle, this.taskId);
        try {
          const rows = await insertEvents(this.handle.db, this.taskId, batch, { serialized: this.handle.kind === "pglite" });
          await publishTaskEvents(this.handle, this.taskId, rows);
        } finally {
          // After the wake-up the publish queued (PGlite's notifications reach this thread's readers at setImmediate,
          // in order): by then the task's reader is reading, and rows handed over meanwhile wait for that read.
          setImmediate(done);
        }
      })
      .catch((err) => logError("could not write task events", err));
    return this.flushing;
  }
}
