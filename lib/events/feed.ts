import "server-only";
import type { DbHandle } from "@/db";
import { listTaskEventsAfter, maxTaskEventId, type TaskEventRow } from "@/db/queries/events";
import { logError } from "@/lib/log";
import { subscribeTaskEvents } from "./bus";

const PAGE = 500;

type Client = { lastId: number; ready: boolean; backlog: TaskEventRow[]; send: (rows: TaskEventRow[]) => void };

/**
 * One reader per task per process. However many browsers watch a task, each new-events wake-up costs one query;
 * the rows fan out to every client past its own cursor. A client joining late first catches up on its own (from
 * its Last-Event-ID), buffering what the feed delivers meanwhile, so it sees every row once and in order.
 */
class TaskFeed {
  private clients = new Set<Client>();
  private lastId = 0;
  private pumping = false;
  private again = false;
  private unsubscribe: (() => void) | null = null;
  private ready: Promise<void>;

  constructor(
    private readonly handle: DbHandle,
    private readonly taskId: string,
    private readonly onEmpty: () => void,
  ) {
    this.ready = (async () => {
      this.unsubscribe = await subscribeTaskEvents(handle, taskId, () => void this.pump());
      this.lastId = await maxTaskEventId(handle.db, taskId);
    })();
  }

  async join(afterId: number, send: (rows: TaskEventRow[]) => void): Promise<() => void> {
    const client: Client = { lastId: afterId, ready: false, backlog: [], send };
    this.clients.add(client); // before any await, so the feed is never torn down under a joining client
    try {
      await this.ready;
      for (;;) {
        const rows = await listTaskEventsAfter(this.handle.db, this.taskId, client.lastId, PAGE);
        if (rows.length) this.deliver(client, rows);
        if (rows.length < PAGE) break;
      }
    } finally {
      client.ready = true;
      const backlog = client.backlog.splice(0);
      if (backlog.length) this.deliver(client, backlog);
    }
    return () => {
      this.clients.delete(client);
      if (this.clients.size === 0) {
        this.unsubscribe?.();
        this.onEmpty();
      }
    };
  }

  private deliver(client: Client, rows: TaskEventRow[]) {
    const fresh = rows.filter((r) => r.id > client.lastId);
    if (fresh.length === 0) return;
    client.lastId = fresh[fresh.length - 1].id;
    client.send(fresh);
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
          this.lastId = rows[rows.length - 1].id;
          for (const client of this.clients) {
            if (client.ready) this.deliver(client, rows);
            else client.backlog.push(...rows);
          }
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

/** Joins the task's feed from `afterId`; `send` gets every later row once, in id order. Returns leave(). */
export function joinTaskFeed(handle: DbHandle, taskId: string, afterId: number, send: (rows: TaskEventRow[]) => void) {
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
