import "server-only";

import type OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";

import { toModelError } from "./errors";
import type { ModelClient, ModelClientOptions, ModelHistory, StepRequest, StepResult, ToolCall } from "./types";

/** The conversation as Chat Completions messages (without the system message, which is sent fresh each step). */
export class ChatHistory implements ModelHistory {
  readonly apiMode = "chat" as const;
  readonly messages: ChatCompletionMessageParam[] = [];

  addUserMessage(text: string): void {
    this.messages.push({ role: "user", content: text });
  }

  addAssistantMessage(text: string): void {
    this.messages.push({ role: "assistant", content: text });
  }

  addToolResult(call: ToolCall, output: string): void {
    this.messages.push({ role: "tool", tool_call_id: call.id, content: output });
  }
}

export class ChatModelClient implements ModelClient {
  readonly apiMode = "chat" as const;
  readonly model: string;
  private callCounter = 0;

  constructor(
    private readonly client: OpenAI,
    private readonly options: ModelClientOptions,
  ) {
    this.model = options.model;
  }

  createHistory(): ChatHistory {
    return new ChatHistory();
  }

  async step(req: StepRequest): Promise<StepResult> {
    if (!(req.history instanceof ChatHistory)) throw new Error("ChatModelClient needs a ChatHistory");
    const history = req.history;
    const tools: ChatCompletionFunctionTool[] = req.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    const effort = this.options.reasoningEffort;

    let text = "";
    const calls: { id: string; name: string; arguments: string }[] = [];
    let usage = { inputTokens: 0, outputTokens: 0 };
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: this.options.model,
          messages: [{ role: "system", content: req.instructions }, ...history.messages],
          tools,
          stream: true,
          stream_options: { include_usage: true },
          ...(effort ? { reasoning_effort: effort } : {}),
        },
        { signal: req.signal },
      );
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        const delta = chunk.choices[0]?.delta;
        if (!delta) continue;
        if (delta.content) {
          text += delta.content;
          await req.onTextDelta?.(delta.content);
        }
        for (const tc of delta.tool_calls ?? []) {
          // Deltas of one call share an index; the id and name come in the first one.
          const slot = (calls[tc.index] ??= { id: "", name: "", arguments: "" });
          if (tc.id) slot.id = tc.id;
          if (tc.function?.name) slot.name += tc.function.name;
          if (tc.function?.arguments) slot.arguments += tc.function.arguments;
        }
      }
    } catch (err) {
      throw toModelError(err, { apiKey: this.options.apiKey, signal: req.signal });
    }

    const toolCalls: ToolCall[] = calls
      .filter((c) => c !== undefined)
      .map((c) => ({ id: c.id || `call_${++this.callCounter}`, name: c.name, arguments: c.arguments }));
    history.messages.push({
      role: "assistant",
      content: text || null,
      ...(toolCalls.length
        ? { tool_calls: toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })) }
        : {}),
    });
    return { text, toolCalls, usage, done: toolCalls.length === 0 };
  }
}
