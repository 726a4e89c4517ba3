import "server-only";

/** Runs a command inside the sandbox; the workspace root is /workspace inside. */
export type ShellExecutor = (req: {
  argv: string[];
  /** Relative to the workspace root. */
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
}) => Promise<ShellResult>;

/**
 * A command that may outlive one tool call (exec_command sessions). The runner may provide a SessionExecutor that
 * starts one; without it the agent runs sessions on the one-shot ShellExecutor, with no stdin and no terminal.
 */
export interface RunningCommand {
  /** True when `write` reaches the command's stdin. */
  readonly stdin: boolean;
  /** True when the command runs on a pseudo-terminal (`tty: true` was asked for and the executor has one). */
  readonly tty: boolean;
  /** Writes to the command's stdin (on a terminal, keystrokes: "\u0003" is Ctrl-C). */
  write(chars: string): Promise<void>;
  /** Ends the command and every process it started; `result` then settles (`cancelled: true`). */
  kill(): void;
  /** Settles when the command ends, like a ShellExecutor call. Rejects only when the sandbox itself failed. */
  readonly result: Promise<ShellResult>;
}

export type SessionRequest = {
  argv: string[];
  /** Relative to the workspace root. */
  cwd?: string;
  /** Wall clock cap of the whole session. */
  timeoutMs: number;
  /** Asks for a pseudo-terminal; an executor without one runs the command on pipes and says so (`tty: false`). */
  tty: boolean;
  signal?: AbortSignal;
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
};

/** Starts a command with a live stdin (and a terminal when asked), inside the sandbox. */
export type SessionExecutor = (req: SessionRequest) => RunningCommand | Promise<RunningCommand>;

export type ShellResult = {
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
};

/** File access used by apply_patch. Paths are relative to the workspace root. */
export interface PatchFs {
  read(path: string): Promise<string | null>;
  write(path: string, content: string): Promise<void>;
  remove(path: string): Promise<void>;
}

export type AgentMode = "code" | "ask";

export type PlanStatus = "pending" | "in_progress" | "completed";
export type PlanItem = { step: string; status: PlanStatus };

export type PatchChange = { path: string; kind: "add" | "update" | "delete" | "move"; from?: string };
export type PatchFailure = { path: string; message: string };
export type PatchResult = { changed: PatchChange[]; failures: PatchFailure[] };

/**
 * Tokens of model calls. `inputTokens` includes the cached ones; `outputTokens` includes the reasoning ones (as the
 * providers count them), so prices apply to (input − cached), cached, and output.
 */
export type Usage = { inputTokens: number; outputTokens: number; cachedInputTokens?: number; reasoningTokens?: number };

export type AgentEvent =
  | { type: "message_delta"; text: string }
  | { type: "message"; text: string }
  /** `sessionId` is set for exec_command sessions, whose command_end may come several tool calls later. */
  | { type: "command_start"; commandId: string; chunkId: string; argv: string[]; cwd: string; sessionId?: number }
  | { type: "output"; commandId: string; chunkId: string; stream: "stdout" | "stderr"; text: string }
  | {
      type: "command_end";
      commandId: string;
      chunkId: string;
      exitCode: number | null;
      durationMs: number;
      timedOut: boolean;
      truncated: boolean;
    }
  | { type: "plan"; explanation?: string; plan: PlanItem[] }
  | { type: "patch"; changed: PatchChange[]; failures: PatchFailure[] }
  | { type: "usage"; inputTokens: number; outputTokens: number; cachedInputTokens?: number; reasoningTokens?: number }
  | { type: "error"; code: string; message: string };

/**
 * What the agent does besides commands and messages, for the log: its thinking, retries and compactions. Separate
 * from AgentEvent so that a sink written for AgentEvent keeps compiling; delivered through `emitActivity`, in order
 * with the AgentEvents.
 */
export type AgentActivity =
  /** A summary of the model's reasoning, streaming (Responses reasoning summaries, or `reasoning_content`). */
  | { type: "reasoning_delta"; text: string }
  /** One finished reasoning summary: the agent's thinking before its next action. */
  | { type: "reasoning"; text: string }
  /** The model call failed and is retried after `delayMs` (the server's retry-after when it sent one). */
  | { type: "retry"; attempt: number; maxRetries: number; delayMs: number; code: string; status?: number; message: string }
  /**
   * The conversation neared the model's context window (or the server said it is past it) and was compacted: old
   * tool outputs were dropped, and when that was not enough the conversation was replaced by a summary the model wrote.
   */
  | {
      type: "compaction";
      reason: "context_window" | "context_length_exceeded";
      droppedOutputs: number;
      summarized: boolean;
      tokensBefore: number;
      tokensAfter: number;
    }
  /** A message the person sent while the agent worked, delivered to the model before this step. */
  | { type: "steer"; text: string }
  /** Input the agent typed into a running exec_command session (write_stdin), under that command's chunk. */
  | { type: "command_input"; commandId: string; chunkId: string; text: string };

export type CommandRecord = { argv: string[]; exitCode: number | null; durationMs: number; chunkId: string };

export type AgentStatus = "succeeded" | "failed" | "cancelled";

export type AgentResult = {
  status: AgentStatus;
  finalMessage: string;
  usage: Usage;
  commands: CommandRecord[];
  error?: { code: string; message: string };
};
