"use client";

import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect } from "react";

type BoardMessage = { kind: "ready" } | { kind: "tasks"; taskIds: string[] };

const LOCK = "patchbay-board-events";
const CHANNEL = "patchbay-board";

/**
 * Keeps every open page current with the person's tasks, without polling: the server's board stream
 * (GET /api/tasks/events) says which tasks changed and the page reads them again. One tab of the browser holds the
 * stream (a Web Lock elects it; when it closes, another takes over) and passes each change to the others on a
 * BroadcastChannel, so many tabs cost one connection, not one each of the browser's six per host.
 */
export function BoardLive() {
  const queryClient = useQueryClient();
  useEffect(() => {
    const apply = applier(queryClient);
    const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL);
    if (channel) channel.onmessage = (e: MessageEvent<BoardMessage>) => apply(e.data);
    let source: EventSource | null = null;
    let stopped = false;
    let release: (() => void) | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let delay = 2_000;

    const listen = () => {
      source = new EventSource("/api/tasks/events");
      source.onopen = () => {
        delay = 2_000;
      };
      // EventSource retries a dropped connection by itself, but gives up on an HTTP error (a restart's 502):
      // try again later, less often each time.
      source.onerror = () => {
        if (stopped || source?.readyState !== EventSource.CLOSED) return;
        retry = setTimeout(listen, delay);
        delay = Math.min(delay * 2, 60_000);
      };
      const relay = (msg: BoardMessage) => {
        apply(msg);
        channel?.postMessage(msg);
      };
      source.addEventListener("ready", () => relay({ kind: "ready" }));
      source.addEventListener("tasks", (e) => {
        const { taskIds } = JSON.parse((e as MessageEvent<string>).data) as { taskIds: string[] };
        relay({ kind: "tasks", taskIds });
      });
    };

    // A tab coming back after a while reads the board once: the tab holding the stream may have been frozen or the
    // machine asleep meanwhile (a stream that reconnects says "ready" and reads it anyway).
    let hiddenAt = 0;
    const onVisibility = () => {
      if (document.visibilityState === "hidden") hiddenAt = Date.now();
      else if (hiddenAt && Date.now() - hiddenAt > 60_000) apply({ kind: "ready" });
    };
    document.addEventListener("visibilitychange", onVisibility);

    if (channel && typeof navigator !== "undefined" && navigator.locks) {
      void navigator.locks
        .request(
          LOCK,
          () =>
            new Promise<void>((resolve) => {
              if (stopped) return resolve();
              release = resolve;
              listen();
            }),
        )
        .catch(() => undefined);
    } else {
      listen();
    }
    return () => {
      stopped = true;
      document.removeEventListener("visibilitychange", onVisibility);
      clearTimeout(retry);
      source?.close();
      release?.();
      channel?.close();
    };
  }, [queryClient]);
  return null;
}

/** What a change means for the page's data: the board (at most every 200 ms), the tasks named, the usage. */
function applier(queryClient: QueryClient) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const refreshBoard = () => {
    timer ??= setTimeout(() => {
      timer = null;
      void queryClient.invalidateQueries({ queryKey: ["tasks"] });
      void queryClient.invalidateQueries({ queryKey: ["usage"] });
    }, 200);
  };
  return (msg: BoardMessage) => {
    if (msg.kind === "ready") {
      void queryClient.invalidateQueries({ queryKey: ["task-repos"] });
      refreshBoard();
      return;
    }
    for (const id of msg.taskIds) void queryClient.invalidateQueries({ queryKey: ["task", id] });
    refreshBoard();
  };
}
