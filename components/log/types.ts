import type { TaskEventType } from "@/lib/events/event-types";

export type { TaskEventType };

/** One row of `task_events` as the task page receives it over SSE. */
export type TaskEventDTO = {
  id: number;
  attemptId: string;
  seq: number;
  turn: number;
  type: TaskEventType;
  payload: Record<string, unknown>;
  createdAt: string;
};

export type PlanStepStatus = "pending" | "in_progress" | "completed";
export type PlanStep = { step: string; status: PlanStepStatus };

export type PatchChange = { path: string; kind: string; from?: string };
export type PatchFailure = { path: string; message: string };

/** A 1-based, inclusive line range. */
export type LineRange = [number, number];

/** What a citation in the agent's message points at: file lines or a log chunk's lines. */
export type Citation =
  | { kind: "file"; path: string; lines?: LineRange }
  | { kind: "chunk"; chunkId: string; lines?: LineRange };

export type LogFocus = { chunkId: string; lines?: LineRange };
export type DiffFocus = { path: string; lines?: LineRange };
