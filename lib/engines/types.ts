import "server-only";
import type { AgentLimits } from "@/lib/agent/loop";
import type { ModelClientOptions } from "@/lib/agent/model";
import type { AgentActivity, AgentEvent, AgentMode, AgentResult, PatchFs, SessionExecutor, ShellExecutor } from "@/lib/agent/types";
import type { ModelGateway, ModelProvider } from "@/lib/network/model-gateway";
import type { Sandbox } from "@/lib/sandbox";
import type { EngineName } from "./names";

export type { EngineName } from "./names";

/** What the runner knows of the models the engines use (lib/env.ts, once). */
export type EnginesConfig = {
  /** The Patchbay agent's model client (and Codex CLI's OpenAI provider). */
  openai: ModelClientOptions | null;
  /** Claude Code's provider: the Anthropic Messages API. */
  anthropic: { baseUrl: string; apiKey: string; model?: string } | null;
  /** Where the engines' npm packages are installed (the project's node_modules). */
  nodeModules: string;
  /** The engine of environments and tasks that choose none. */
  defaultEngine: EngineName;
};

/** What an engine's sandbox needs besides the runner's usual options. */
export type EngineSandbox = {
  /** Host paths bound read-only into the sandbox (the engine's binary, its saved session). */
  binds: Array<{ hostPath: string; sandboxPath: string }>;
  env: Record<string, string>;
  /** The provider the model gateway forwards to; null: the engine runs in the runner (the Patchbay agent). */
  gateway: ModelProvider | null;
};

export type EngineRunOptions = {
  mode: AgentMode;
  prompt: string;
  /** Images attached to the prompt (data: URLs). */
  promptImages?: string[];
  priorTurns: { prompt: string; finalMessage: string; images?: string[] }[];
  /** Messages the person sent while the engine works (only the Patchbay agent takes them). */
  steer?: () => Promise<string[]>;
  /** The attempt's agent sandbox (CLI engines run inside it). */
  sandbox: Sandbox;
  exec: ShellExecutor;
  startCommand?: SessionExecutor;
  fs: PatchFs | null;
  workspaceDir: string;
  limits: AgentLimits;
  signal: AbortSignal;
  emit: (e: AgentEvent) => void | Promise<void>;
  emitActivity: (a: AgentActivity) => void | Promise<void>;
  /** A line for the log outside any command (what the engine is, warnings it printed). */
  note: (text: string) => void | Promise<void>;
  promptCacheKey: string;
  toolSurface: "auto" | "exec_command" | "shell";
  /** Chunk number of this turn's first command (c<n>), so that ids stay unique across the attempt's turns. */
  firstChunk: number;
  /** The engine's session of the previous turn (a follow-up resumes it), null on the first turn. */
  session: string | null;
  gateway: ModelGateway | null;
};

export type EngineResult = AgentResult & {
  /** The engine's session after this turn, for a follow-up to resume. */
  session: string | null;
};

export interface Engine {
  readonly name: EngineName;
  /** Null when the engine can run; else why not and how to fix it (a missing binary, no model configured). */
  unavailable(): { code: string; message: string } | null;
  /** The host folder of the engine's binaries, bound into its sandbox; null: nothing to bind (or not installed). */
  readonly packageDir: string | null;
  /**
   * Binds, variables and gateway of the attempt's sandbox; `stateFile` is the session saved by the last turn,
   * `packageDir` where the sandbox user can reach `packageDir` (the same folder, or its staging in the data folder).
   */
  sandbox(opts: { stateFile: string | null; packageDir: string | null }): EngineSandbox;
  run(opts: EngineRunOptions & { stateFile: string }): Promise<EngineResult>;
}
