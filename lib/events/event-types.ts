/** The kinds of task_events rows (DESIGN.md §2). Types only: shared by the schema, the server and the browser. */
export type TaskEventType =
  | "status"
  | "log"
  | "command"
  | "message"
  | "message_delta"
  | "plan"
  | "patch"
  | "diff"
  | "usage"
  | "error"
  | "network"
  | "reasoning_delta"
  | "reasoning"
  | "retry"
  | "compaction"
  /** A call an engine made through the model gateway (or one it refused), and the phase's summary. */
  | "model"
  /** A message the person sent while the agent worked, where it reached the agent. */
  | "steer";
