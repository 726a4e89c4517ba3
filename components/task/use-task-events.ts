"use client";

import { useEffect, useRef, useState } from "react";
import type { TaskEventDTO } from "@/components/log/types";

export type EventStreamState = "connecting" | "open" | "reconnecting";

/**
 * The task's events over SSE. EventSource resends Last-Event-ID when it reconnects, so a dropped connection
 * resumes exactly where it stopped; ids are also checked here so nothing is ever shown twice. Arrivals are
 * batched per animation frame so a burst of thousands of lines costs one render.
 */
export function useTaskEvents(taskId: string, onEvent?: (e: TaskEventDTO) => void) {
  const [events, setEvents] = useState<TaskEventDTO[]>([]);
  const [state, setState] = useState<EventStreamState>("connecting");
  const lastId = useRef(0);
  const onEventRef = useRef(onEvent);
  useEffect(() => {
    onEventRef.current = onEvent;
  });

  useEffect(() => {
    let pending: TaskEventDTO[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      if (batch.length) setEvents((prev) => prev.concat(batch));
    };
    const source = new EventSource(`/api/tasks/${taskId}/events`);
    source.onopen = () => setState("open");
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "reconnecting" : "reconnecting");
    source.onmessage = (msg) => {
      const e = JSON.parse(msg.data) as TaskEventDTO;
      if (e.id <= lastId.current) return;
      lastId.current = e.id;
      pending.push(e);
      onEventRef.current?.(e);
      frame ||= requestAnimationFrame(flush);
    };
    return () => {
      source.close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [taskId]);

  return { events, state };
}
