import "server-only";

import OpenAI from "openai";

import { ChatModelClient } from "./chat";
import { ResponsesModelClient } from "./responses";
import type { ModelClient, ModelClientOptions } from "./types";

export { ChatHistory, ChatModelClient } from "./chat";
export { ModelError, redactSecrets, retryAfterMs, toModelError, type ModelErrorCode } from "./errors";
export { ResponsesHistory, ResponsesModelClient } from "./responses";
export { backoffMs, withRetries } from "./retry";
export type * from "./types";

/** One client over the Responses API (default) or Chat Completions (OpenAI-compatible servers). */
export function createModelClient(options: ModelClientOptions): ModelClient {
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    timeout: options.timeoutMs,
    // The clients retry themselves (withRetries), so that each wait shows in the task's log.
    maxRetries: 0,
  });
  return options.apiMode === "chat" ? new ChatModelClient(client, options) : new ResponsesModelClient(client, options);
}
