import "server-only";
import type { Usage } from "../types";

import type OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionToolMessageParam,
} from "openai/resources/chat/completions";

import { toModelError } from "./errors";
import { isCompactionText, newestWithin, serializedSize, SUMMARY_PREFIX } from "./history-size";
import { withRetries } from "./retry";
import { StreamCaps } from "./stream-caps";
import type { ModelClient, ModelClientOptions, ModelHistory, PruneResult, StepRequest, StepResult, ToolCall } from "./types";

/** The conversation as Chat Completions messages (without the system message, which is sent fresh each step). */
export class ChatHistory implements ModelHistory {
  readonly apiMode = "chat" as const;
  messages: ChatCompletionMessageParam[] = [];

  addUserMessage(text: string): void {
    this.messages.push({ role: "user", content: text });
  }

  addAssistantMessage(text: string): void {
    this.messages.push({ role: "assistant", content: text });
  }

  addToolResult(call: ToolCall, output: string): void {
    this.messages.push({ role: "tool", tool_call_id: call.id, content: output });
  }

  addUserImage(dataUrl: string): void {
    this.messages.push({ role: "user", content: [{ type: "image_url", image_url: { url: dataUrl } }] });
  }

  size(): number {
    return serializedSize(this.messages);
  }

  pruneToolOutputs(keep: number, stub: (output: string) => string): PruneResult {
    const sizeBefore = this.size();
    const outputs = this.messages.filter((m): m is ChatCompletionToolMessageParam => m.role === "tool");
    let dropped = 0;
    for (const m of outputs.slice(0, Math.max(0, outputs.length - keep))) {
      if (typeof m.content !== "string") continue;
      const replacement = stub(m.content);
      if (replacement.length < m.content.length) {
        m.content = replacement;
        dropped++;
      }
    }
    return { dropped, sizeBefore, sizeAfter: this.size() };
  }

  replaceWithSummary(summary: string, maxUserChars: number): void {
    const users = this.messages.filter(
      (m): m is ChatCompletionMessageParam & { content: string } => m.role === "user" && typeof m.content === "string" && !isCompactionText(m.content),
    );
    this.messages = [...newestWithin(users, (u) => u.content, maxUserChars), { role: "user", content: SUMMARY_PREFIX + summary }];
  }
}

/** Compatible servers stream a reasoning model's thinking as `reasoning_content` (vLLM, DeepSeek) or `reasoning` (Ollama, OpenRouter). */
type ReasoningDelta = { reasoning_content?: unknown; reasoning?: unknown };

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
    let streamed = false;
    return withRetries(() => this.once(req, history, () => (streamed = true)), {
      maxRetries: this.options.maxRetries,
      maxDelayMs: this.options.maxRetryDelayMs,
      signal: req.signal,
      onRetry: req.onRetry,
      canRetry: () => !streamed,
    });
  }

  private async once(req: StepRequest, history: ChatHistory, markStreamed: () => void): Promise<StepResult> {
    const tools: ChatCompletionFunctionTool[] = req.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    const effort = this.options.reasoningEffort;
    const caps = new StreamCaps(this.options, req.signal);
    let text = "";
    let reasoning = "";
    const calls: { id: string; name: string; arguments: string }[] = [];
    let usage: Usage = { inputTokens: 0, outputTokens: 0 };
    const params: ChatCompletionCreateParamsStreaming = {
      model: this.options.model,
      messages: [{ role: "system", content: req.instructions }, ...history.messages],
      ...(tools.length ? { tools } : {}),
      stream: true,
      stream_options: { include_usage: true },
      ...(effort ? { reasoning_effort: effort } : {}),
    };
    try {
      const stream = await this.client.chat.completions.create(params, { signal: caps.signal });
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        if (chunk.usage) {
          usage = {
            inputTokens: chunk.usage.prompt_tokens,
            outputTokens: chunk.usage.completion_tokens,
            cachedInputTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
            reasoningTokens: chunk.usage.completion_tokens_details?.reasoning_tokens ?? 0,
          };
        }
        const delta = chunk.choices[0]?.delta as (ChatCompletionChunk.Choice.Delta & ReasoningDelta) | undefined;
        if (!delta) continue;
        const thought = typeof delta.reasoning_content === "string" ? delta.reasoning_content : typeof delta.reasoning === "string" ? delta.reasoning : "";
        if (thought) {
          markStreamed();
          reasoning += thought;
          await req.onReasoningDelta?.(thought);
        }
        if (delta.content) {
          const kept = caps.text(delta.content);
          text += kept;
          if (kept) {
            markStreamed();
            await req.onTextDelta?.(kept);
          }
        }
        for (const tc of delta.tool_calls ?? []) {
          // Deltas of one call share an index; the id and name come in the first one.
          const slot = (calls[tc.index] ??= { id: "", name: "", arguments: "" });
          if (tc.id) slot.id = tc.id;
          if (tc.function?.name) slot.name += tc.function.name;
          if (tc.function?.arguments) slot.arguments = caps.argument(String(tc.index), slot.arguments, tc.function.arguments);
        }
        if (caps.stopped) break;
      }
    } catch (err) {
      if (!caps.stopped) throw toModelError(err, { apiKey: this.options.apiKey, signal: req.signal });
    }
    if (reasoning.trim()) await req.onReasoning?.(reasoning.trim());
    if (caps.textCut) text = caps.cutText(text);
    if (caps.stopped && usage.outputTokens === 0) usage.outputTokens = Math.ceil((text.length + calls.reduce((n, c) => n + (c?.arguments.length ?? 0), 0)) / 4);
    const toolCalls: ToolCall[] = [];
    calls.forEach((c, index) => {
      if (!c) return;
      const cut = caps.isCut(String(index));
      toolCalls.push({ id: c.id || `call_${++this.callCounter}`, name: c.name, arguments: cut ? "{}" : c.arguments, ...(cut ? { truncated: true } : {}) });
    });
    history.messages.push({
      role: "assistant",
      content: text || null,
      ...(toolCalls.length
        ? { tool_calls: toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })) }
        : {}),
    });
    return { text, toolCalls, usage, done: toolCalls.length === 0, ...(caps.textCut ? { textTruncated: true } : {}) };
  }
}
