import "server-only";

import type { Usage } from "../types";

export type ApiMode = "responses" | "chat";
export type ReasoningEffort = "low" | "medium" | "high";

/** A function tool offered to the model; `parameters` is a JSON schema object. */
export type ToolSpec = { name: string; description: string; parameters: Record<string, unknown> };

export type ToolCall = { id: string; name: string; arguments: string };

/** The conversation in the shape of one API; created by the client that consumes it. */
export interface ModelHistory {
  readonly apiMode: ApiMode;
  addUserMessage(text: string): void;
  addAssistantMessage(text: string): void;
  addToolResult(call: ToolCall, output: string): void;
}

export type StepRequest = {
  instructions: string;
  history: ModelHistory;
  tools: ToolSpec[];
  signal?: AbortSignal;
  onTextDelta?: (text: string) => void | Promise<void>;
};

export type StepResult = {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  /** True when the model asked for no tool: its text is the final message. */
  done: boolean;
};

export interface ModelClient {
  readonly apiMode: ApiMode;
  readonly model: string;
  createHistory(): ModelHistory;
  /** One model call; appends the model's output to `history`. Throws ModelError. */
  step(req: StepRequest): Promise<StepResult>;
}

export type ModelClientOptions = {
  baseURL: string;
  apiKey: string;
  model: string;
  apiMode: ApiMode;
  reasoningEffort?: ReasoningEffort;
  timeoutMs: number;
  maxRetries: number;
};
