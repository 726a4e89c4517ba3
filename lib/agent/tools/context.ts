import "server-only";

import type { ToolSurface } from "../model-family";
import type { AgentActivity, AgentEvent, AgentMode, CommandRecord, PatchFs, ShellExecutor } from "../types";
import type { SessionManager } from "./sessions";

export type ToolContext = {
  mode: AgentMode;
  exec: ShellExecutor;
  fs: PatchFs | null;
  /** Default and cap for a command's timeout (and the wall clock cap of an exec_command session). */
  commandTimeoutMs: number;
  maxToolOutputBytes?: number;
  signal: AbortSignal;
  emit: (e: AgentEvent) => void;
  /** Reasoning, retries, compaction and typed input (see AgentActivity). */
  activity?: (e: AgentActivity) => void;
  /** Allocates the next command's ids (`chunkId` is what the model cites). */
  nextCommand: () => { commandId: string; chunkId: string };
  commands: CommandRecord[];
  /** exec_command sessions of this run; created from `exec` when absent. */
  sessions?: SessionManager;
  /** Reads a workspace file's bytes for view_image (no symlinks); absent: view_image is unavailable. */
  readImage?: (path: string) => Promise<Buffer | null>;
  /** Queues an image for the model, sent after this step's tool results. */
  attachImage?: (dataUrl: string) => void;
  /** A directory the agent works in, so that its AGENTS.md joins the instructions. */
  noteDirectory?: (dir: string) => void;
  /** The surface offered to the model; only changes the wording of some errors. */
  surface?: ToolSurface;
};

export type ToolOutcome = { output: string; ok: boolean };
