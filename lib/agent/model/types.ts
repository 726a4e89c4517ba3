import "server-only";

import type { Usage } from "../types";

export type ApiMode = "responses" | "chat";
export type ReasoningEffort = "low" | "medium" | "high";
export type ReasoningSummary = "auto" | "concise" | "detailed" | "none";

/** A function tool offered to the model; `parameters` is a JSON schema object. */
export type ToolSpec = { name: string; description: string; parameters: Record<string, unknown> };

/** `truncated`: the arguments went past the cap and were cut off; the call is answered with an error. */
export type ToolCall = { id: string; name: string; arguments: string; truncated?: boolean };

/** What compaction did to a history. */
export type PruneResult = { dropped: number; sizeBefore: number; sizeAfter: number };

/** The conversation in the shape of one API; created by the client that consumes it. */
export interface ModelHistory {
  readonly apiMode: ApiMode;
  addUserMessage(text: string): void;
  addAssistantMessage(text: string): void;
  addToolResult(call: ToolCall, output: string): void;
  /** An image for the model to look at (view_image), as a data: URL, after the tool results of a step. */
  addUserImage(dataUrl: string): void;
  /** Characters of the serialized conversation: a proxy for its size in tokens. */
  size(): number;
  /** Replaces the output of every tool result but the last `keep` by `stub(output)`. */
  pruneToolOutputs(keep: number, stub: (output: string) => string): PruneResult;
  /**
   * Replaces the conversation by its user messages (the task and follow-ups, oldest dropped first beyond
   * `maxUserChars`) and a summary of the work so far, as Codex's compaction does.
   */
  replaceWithSummary(summary: string, maxUserChars: number): void;
}

export type RetryInfo = {
  /** 1 for the first retry. */
  attempt: number;
  maxRetries: number;
  delayMs: number;
  code: string;
  status?: number;
  message: string;
};

export type StepRequest = {
  instructions: string;
  history: ModelHistory;
  tools: ToolSpec[];
  signal?: AbortSignal;
  /** Groups the requests of one attempt for the server's prompt cache (Responses `prompt_cache_key`). */
  promptCacheKey?: string;
  onTextDelta?: (text: string) => void | Promise<void>;
  onReasoningDelta?: (text: string) => void | Promise<void>;
  /** A finished reasoning summary (one per reasoning item). */
  onReasoning?: (text: string) => void | Promise<void>;
  /** Called before waiting to retry a failed call. */
  onRetry?: (info: RetryInfo) => void | Promise<void>;
};

export type StepResult = {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  /** True when the model asked for no tool: its text is the final message. */
  done: boolean;
  /** The streamed text went past the cap and was cut off (the stream was stopped there). */
  textTruncated?: boolean;
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
  /** Reasoning summaries asked of reasoning models over the Responses API (default "auto"; "none" asks for none). */
  reasoningSummary?: ReasoningSummary;
  timeoutMs: number;
  /** Retries of a call that failed with 429, 5xx or a connection error, with backoff (honouring retry-after). */
  maxRetries: number;
  /** Longest wait for one retry; a server asking for more fails the call instead. Default 120 s. */
  maxRetryDelayMs?: number;
  /** Caps of one model call's output: streamed text (characters) and one tool call's arguments (characters). */
  maxTextChars?: number;
  maxToolArgumentChars?: number;
};
