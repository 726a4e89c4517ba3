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

export type Usage = { inputTokens: number; outputTokens: number };

export type AgentEvent =
  | { type: "message_delta"; text: string }
  | { type: "message"; text: string }
  | { type: "command_start"; commandId: string; chunkId: string; argv: string[]; cwd: string }
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
  | { type: "usage"; inputTokens: number; outputTokens: number }
  | { type: "error"; code: string; message: string };

export type CommandRecord = { argv: string[]; exitCode: number | null; durationMs: number; chunkId: string };

export type AgentStatus = "succeeded" | "failed" | "cancelled";

export type AgentResult = {
  status: AgentStatus;
  finalMessage: string;
  usage: Usage;
  commands: CommandRecord[];
  error?: { code: string; message: string };
};
