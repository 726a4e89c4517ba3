export { LogView, type LogViewProps } from "./log-view";
export { LogModel, shellJoin, formatDuration } from "./log-model";
export type { TaskEventDTO, TaskEventType, Citation, LogFocus, DiffFocus, LineRange, PlanStep } from "./types";
