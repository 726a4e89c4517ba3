import "server-only";
import type { DbHandle } from "@/db";
import { listRecentTaskEvents, listTaskEventsAfter, type TaskEventRow } from "@/db/queries/events";
import { logError } from "@/lib/log";
import { subscribeTaskEvents } from "./bus";
import { encodeEvent, joinEncoded, type EncodedEvent } from "./sse";

const PAGE = 500;
/** The newest events of a watched task kept encoded in memory, for viewers who join or resume. */
const TAIL_ROWS = 2_000;
const TAIL_BYTES = 1024 * 1024;
/** Older pages read for late joiners, kept briefly so that viewers joining together read each page once. */
const PAGE_CACHE = 4;
const PAGE_CACHE_BYTES = 4 * 1024 * 1024;
const PAGE_CACHE_MS = 10_000;

type Client = { lastId: number; ready: boolean; send: (bytes: Uint8Array) => void };
type Page = { events: EncodedEvent[]; chunk: Uint8Array; at: number };

/**
 * One reader per task per process. However many browsers watch a task, each new-events wake-up costs one query
 * and each event is serialised once: every viewer past its own cursor gets the same bytes. The newest events stay
 * encoded in memory (the tail), so a viewer joining or resuming costs no query unless it starts further back; then
 * it reads older pages first (shared with viewers joining at the same place), and the tail last, so it sees every
 * row once and in order. When the writer hands over the rows it wrote (PGlite, lib/events/bus.ts) and they follow
 * what the feed holds, the wake-up costs no query at all.
 */
class TaskFeed {
  private clients = new Set<Client>();
  /** Every event of the task with an id in (tailFrom, lastId], ascending. */
  private tail: EncodedEvent[] = [];
  private tailBytes = 0;
  private tailFrom = 0;
  private lastId = 0;
  private reading = new Map<number, Promise<Page>>();
  private cached = new Map<number, Page>();
  private pumping = false;
  private again = false;
  /** The initial read is done: rows handed over may be taken from now on. */
  private settled = false;
  /** The newest seq seen of each attempt (seqs of an attempt are drawn one by one by its writer). */
  private lastSeq = new Map<string, number>();
  /** Whether the tail holds the task's every event (then an attempt not in it has none yet). */
  private complete = false;
  private unsubscribe: (() => void) | null = null;
  private ready: Promise<void>;

  constructor(
    private readonly handle: DbHandle,
    private readonly taskId: string,
    private readonly onEmpty: () => void,
  ) {
    this.ready = (async () => {
      this.unsubscribe = await subscribeTaskEvents(handle, taskId, (rows) => this.wake(rows));
      const recent = await listRecentTaskEvents(handle.db, taskId, TAIL_ROWS);
      this.complete = recent.length < TAIL_ROWS;
      this.tailFrom = this.complete ? 0 : recent[0].id - 1;
      this.lastId = recent.at(-1)?.id ?? 0;
      this.note(recent);
      this.append(recent.map(encodeEvent));
      this.settled = true;
    })();
  }

  async join(afterId: number, send: (bytes: Uint8Array) => void): Promise<() => void> {
    const client: Client = { lastId: afterId, ready: false, send };
    this.clients.add(client); // before any await, so the feed is never torn down under a joining client
    try {
      await this.ready;
      // What the tail no longer holds comes from the database; the loop ends because each page holds at least one
      // newer row (the tail's own rows are in the database too).
      while (client.lastId < this.tailFrom) {
        const page = await this.page(client.lastId);
        if (page.events.length === 0) break;
        this.deliver(client, page.events, page.chunk);
      }
      // No await from here on: the pump cannot run between this catch-up and `ready`.
      this.deliver(client, this.tail.slice(this.firstAfter(client.lastId)));
    } finally {
      client.ready = true;
    }
    return () => {
      this.clients.delete(client);
      if (this.clients.size === 0) {
        this.unsubscribe?.();
        this.onEmpty();
      }
    };
  }

  /** Sends the events past the client's cursor: `chunk` (all of `events`, joined) when none was seen yet. */
  private deliver(client: Client, events: EncodedEvent[], chunk?: Uint8Array) {
    if (events.length === 0 || events[events.length - 1].id <= client.lastId) return;
    let fresh = events;
    if (events[0].id <= client.lastId) {
      fresh = events.filter((e) => e.id > client.lastId);
      chunk = undefined;
    }
    client.lastId = fresh[fresh.length - 1].id;
    client.send(chunk ?? joinEncoded(fresh));
  }

  /** Index of the first tail event after `id`. */
  private firstAfter(id: number): number {
    let lo = 0;
    let hi = this.tail.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tail[mid].id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private append(events: EncodedEvent[]) {
    for (const e of events) {
      this.tail.push(e);
      this.tailBytes += e.bytes.length;
    }
    let drop = 0;
    while (this.tail.length - drop > 1 && (this.tail.length - drop > TAIL_ROWS || this.tailBytes > TAIL_BYTES)) {
      this.tailBytes -= this.tail[drop].bytes.length;
      drop++;
    }
    if (drop > 0) {
      this.tailFrom = this.tail[drop - 1].id;
      this.tail.splice(0, drop);
    }
  }

  /** The page of events after `afterId`, read once for every viewer catching up from there at about the same time. */
  private page(afterId: number): Promise<Page> {
    const now = Date.now();
    for (const [key, page] of this.cached) if (now - page.at > PAGE_CACHE_MS) this.cached.delete(key);
    const cached = this.cached.get(afterId);
    if (cached) return Promise.resolve(cached);
    let reading = this.reading.get(afterId);
    if (!reading) {
      reading = listTaskEventsAfter(this.handle.db, this.taskId, afterId, PAGE).then((rows) => {
        const events = rows.map(encodeEvent);
        const chunk = joinEncoded(events);
        const page = { events, chunk, at: Date.now() };
        this.cached.set(afterId, page);
        let bytes = 0;
        for (const p of this.cached.values()) bytes += p.chunk.length;
        for (const [key, p] of this.cached) {
          if (this.cached.size <= PAGE_CACHE && bytes <= PAGE_CACHE_BYTES) break;
          bytes -= p.chunk.length;
          this.cached.delete(key);
        }
        return page;
      });
      const settled = reading;
      this.reading.set(afterId, settled);
      void settled.finally(() => this.reading.delete(afterId)).catch(() => undefined);
    }
    return reading;
  }

  /**
   * New events were written. The rows handed over are taken as they are when nothing is being read and they follow
   * what the feed holds: ids past the newest, and each attempt's seqs right after its last (so a batch whose write
   * failed, or a writer the feed never heard from, sends it to the database). Otherwise it reads.
   */
  private wake(rows?: readonly TaskEventRow[]) {
    if (rows && rows.length > 0 && this.settled && !this.pumping && this.follows(rows)) {
      this.take(rows);
      return;
    }
    void this.pump();
  }

  private follows(rows: readonly TaskEventRow[]): boolean {
    let id = this.lastId;
    const seqs = new Map<string, number>();
    for (const row of rows) {
      if (row.taskId !== this.taskId || row.id <= id) return false;
      id = row.id;
      const last = seqs.get(row.attemptId) ?? this.lastSeq.get(row.attemptId) ?? (this.complete ? -1 : undefined);
      if (last === undefined || row.seq !== last + 1) return false;
      seqs.set(row.attemptId, row.seq);
    }
    return true;
  }

  private note(rows: readonly TaskEventRow[]) {
    for (const row of rows) this.lastSeq.set(row.attemptId, Math.max(row.seq, this.lastSeq.get(row.attemptId) ?? -1));
  }

  /** Rows past the newest: into the tail, and to every viewer. */
  private take(rows: readonly TaskEventRow[]) {
    this.lastId = rows[rows.length - 1].id;
    this.note(rows);
    const events = rows.map(encodeEvent);
    this.append(events);
    const chunk = joinEncoded(events);
    for (const client of this.clients) if (client.ready) this.deliver(client, events, chunk);
  }

  private async pump() {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      await this.ready;
      do {
        this.again = false;
        for (;;) {
          const rows = await listTaskEventsAfter(this.handle.db, this.taskId, this.lastId, PAGE);
          if (rows.length === 0) break;
          this.take(rows);
          if (rows.length < PAGE) break;
        }
      } while (this.again);
    } catch (err) {
      logError("task feed read failed", err);
    } finally {
      this.pumping = false;
    }
  }
}

const globalForFeeds = globalThis as unknown as { __patchbayFeeds?: Map<string, TaskFeed> };

/**
 * Joins the task's feed from `afterId`; `send` gets every later event once, in id order, as SSE bytes (shared with
 * the task's other viewers: never modify them). Returns leave().
 */
export function joinTaskFeed(handle: DbHandle, taskId: string, afterId: number, send: (bytes: Uint8Array) => void) {
  const feeds = (globalForFeeds.__patchbayFeeds ??= new Map());
  let feed = feeds.get(taskId);
  if (!feed) {
    const created: TaskFeed = new TaskFeed(handle, taskId, () => {
      if (feeds.get(taskId) === created) feeds.delete(taskId);
    });
    feed = created;
    feeds.set(taskId, feed);
  }
  return feed.join(afterId, send);
}
