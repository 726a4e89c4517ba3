import "server-only";
import type { Usage } from "../types";

import type OpenAI from "openai";
import type {
  FunctionTool,
  ResponseCreateParamsStreaming,
  ResponseFunctionToolCall,
  ResponseInputItem,
  ResponseOutputItem,
  ResponseStreamEvent,
} from "openai/resources/responses/responses";

import { modelFamily } from "../model-family";
import { ModelError, toModelError } from "./errors";
import { isCompactionText, newestWithin, serializedSize, SUMMARY_PREFIX } from "./history-size";
import { withRetries } from "./retry";
import { StreamCaps } from "./stream-caps";
import type { ModelClient, ModelClientOptions, ModelHistory, PruneResult, StepRequest, StepResult, ToolCall } from "./types";

/** The conversation as Responses API input items (the model's own output items are appended as they come). */
export class ResponsesHistory implements ModelHistory {
  readonly apiMode = "responses" as const;
  items: ResponseInputItem[] = [];

  addUserMessage(text: string): void {
    this.items.push({ role: "user", content: text });
  }

  addAssistantMessage(text: string): void {
    this.items.push({ role: "assistant", content: text });
  }

  addToolResult(call: ToolCall, output: string): void {
    this.items.push({ type: "function_call_output", call_id: call.id, output });
  }

  addUserImage(dataUrl: string): void {
    this.items.push({ role: "user", content: [{ type: "input_image", image_url: dataUrl, detail: "auto" }] });
  }

  size(): number {
    return serializedSize(this.items);
  }

  pruneToolOutputs(keep: number, stub: (output: string) => string): PruneResult {
    const sizeBefore = this.size();
    const outputs = this.items.filter((i): i is ResponseInputItem.FunctionCallOutput => "type" in i && i.type === "function_call_output");
    let dropped = 0;
    for (const item of outputs.slice(0, Math.max(0, outputs.length - keep))) {
      if (typeof item.output !== "string") continue;
      const replacement = stub(item.output);
      if (replacement.length < item.output.length) {
        item.output = replacement;
        dropped++;
      }
    }
    return { dropped, sizeBefore, sizeAfter: this.size() };
  }

  replaceWithSummary(summary: string, maxUserChars: number): void {
    const users = this.items.filter(
      (i): i is ResponseInputItem.Message & { content: string } =>
        "role" in i && i.role === "user" && typeof i.content === "string" && !isCompactionText(i.content),
    );
    this.items = [...newestWithin(users, (u) => u.content, maxUserChars), { role: "user", content: SUMMARY_PREFIX + summary }];
  }
}

function messageText(item: ResponseOutputItem): string {
  if (item.type !== "message") return "";
  return item.content.map((part) => (part.type === "output_text" ? part.text : "")).join("");
}

/**
 * Items are not persisted with `store: false`, so ids must not be sent back (the server would look them up);
 * assistant text goes back as a plain message, reasoning only with its encrypted content (which is what lets a
 * reasoning model keep its chain of thought from one step to the next).
 */
function toInputItems(output: ResponseOutputItem[]): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  for (const item of output) {
    if (item.type === "message") {
      const text = messageText(item);
      if (text) items.push({ role: "assistant", content: text });
    } else if (item.type === "function_call") {
      const call: ResponseFunctionToolCall = { type: "function_call", call_id: item.call_id, name: item.name, arguments: item.arguments };
      items.push(call);
    } else if (item.type === "reasoning" && item.encrypted_content) {
      items.push({ type: "reasoning", id: item.id, summary: item.summary, encrypted_content: item.encrypted_content });
    }
  }
  return items;
}

/** Request features a compatible server may reject; each is dropped for the rest of the run once it is. */
type Feature = "reasoning" | "summary" | "include" | "prompt_cache_key";

function rejectedFeature(err: ModelError, sent: Set<Feature>): Feature | null {
  if (err.code !== "model_bad_request") return null;
  const m = err.message;
  if (sent.has("prompt_cache_key") && /prompt_cache_key/i.test(m)) return "prompt_cache_key";
  if (sent.has("include") && /encrypted|include/i.test(m)) return "include";
  if (sent.has("summary") && /summar|verif/i.test(m)) return "summary";
  if (sent.has("reasoning") && /reasoning/i.test(m)) return "reasoning";
  return null;
}

export class ResponsesModelClient implements ModelClient {
  readonly apiMode = "responses" as const;
  readonly model: string;
  private readonly reasoningModel: boolean;
  private readonly disabled = new Set<Feature>();

  constructor(
    private readonly client: OpenAI,
    private readonly options: ModelClientOptions,
  ) {
    this.model = options.model;
    this.reasoningModel = modelFamily(options.model).reasoning || options.reasoningEffort !== undefined;
  }

  createHistory(): ResponsesHistory {
    return new ResponsesHistory();
  }

  async step(req: StepRequest): Promise<StepResult> {
    if (!(req.history instanceof ResponsesHistory)) throw new Error("ResponsesModelClient needs a ResponsesHistory");
    const history = req.history;
    let streamed = false;
    const mark = <A extends unknown[]>(fn?: (...a: A) => void | Promise<void>) =>
      fn &&
      (async (...a: A) => {
        streamed = true;
        await fn(...a);
      });
    const callbacks = { ...req, onTextDelta: mark(req.onTextDelta), onReasoningDelta: mark(req.onReasoningDelta) };
    return withRetries(
      async () => {
        for (;;) {
          const sent = new Set<Feature>();
          try {
            return await this.once(callbacks, history, sent);
          } catch (err) {
            const feature = err instanceof ModelError && !streamed ? rejectedFeature(err, sent) : null;
            if (!feature) throw err;
            this.disabled.add(feature);
          }
        }
      },
      {
        maxRetries: this.options.maxRetries,
        maxDelayMs: this.options.maxRetryDelayMs,
        signal: req.signal,
        onRetry: req.onRetry,
        canRetry: () => !streamed,
      },
    );
  }

  private params(req: StepRequest, history: ResponsesHistory, sent: Set<Feature>): ResponseCreateParamsStreaming {
    const tools: FunctionTool[] = req.tools.map((t) => ({ type: "function", name: t.name, description: t.description, parameters: t.parameters, strict: false }));
    const params: ResponseCreateParamsStreaming = {
      model: this.options.model,
      instructions: req.instructions,
      input: history.items,
      ...(tools.length ? { tools, tool_choice: "auto" as const, parallel_tool_calls: false } : {}),
      stream: true,
      // Nothing is kept on the server: the conversation travels whole with each request (ZDR-friendly, and the
      // reasoning carried in it as encrypted content).
      store: false,
    };
    const wants = (f: Feature) => {
      if (this.disabled.has(f)) return false;
      sent.add(f);
      return true;
    };
    if (req.promptCacheKey && wants("prompt_cache_key")) params.prompt_cache_key = req.promptCacheKey;
    if (this.reasoningModel && wants("reasoning")) {
      const effort = this.options.reasoningEffort;
      const summary = this.options.reasoningSummary ?? "auto";
      const withSummary = summary !== "none" && wants("summary");
      if (effort || withSummary) params.reasoning = { ...(effort ? { effort } : {}), ...(withSummary ? { summary } : {}) };
      if (wants("include")) params.include = ["reasoning.encrypted_content"];
    }
    return params;
  }

  private async once(req: StepRequest, history: ResponsesHistory, sent: Set<Feature>): Promise<StepResult> {
    const caps = new StreamCaps(this.options, req.signal);
    let deltaText = "";
    const doneItems: ResponseOutputItem[] = [];
    const pendingCalls = new Map<string, { call_id: string; name: string; args: string }>();
    let finalOutput: ResponseOutputItem[] | null = null;
    let usage: Usage = { inputTokens: 0, outputTokens: 0 };
    try {
      const stream = await this.client.responses.create(this.params(req, history, sent), { signal: caps.signal });
      for await (const event of stream as AsyncIterable<ResponseStreamEvent>) {
        switch (event.type) {
          case "response.output_text.delta": {
            const kept = caps.text(event.delta);
            deltaText += kept;
            if (kept) await req.onTextDelta?.(kept);
            break;
          }
          case "response.reasoning_summary_text.delta":
            await req.onReasoningDelta?.(event.delta);
            break;
          case "response.output_item.added":
            if (event.item.type === "function_call") {
              pendingCalls.set(event.item.id ?? event.item.call_id, { call_id: event.item.call_id, name: event.item.name, args: "" });
            }
            break;
          case "response.function_call_arguments.delta": {
            const call = pendingCalls.get(event.item_id);
            if (call) call.args = caps.argument(call.call_id, call.args, event.delta);
            break;
          }
          case "response.output_item.done":
            doneItems.push(event.item);
            if (event.item.type === "function_call") pendingCalls.delete(event.item.id ?? event.item.call_id);
            if (event.item.type === "reasoning") {
              const summary = event.item.summary.map((s) => s.text).join("\n\n").trim();
              if (summary) await req.onReasoning?.(summary);
            }
            break;
          case "response.completed":
          case "response.incomplete":
            finalOutput = event.response.output ?? null;
            if (event.response.usage) {
              const u = event.response.usage;
              usage = {
                inputTokens: u.input_tokens,
                outputTokens: u.output_tokens,
                cachedInputTokens: u.input_tokens_details?.cached_tokens ?? 0,
                reasoningTokens: u.output_tokens_details?.reasoning_tokens ?? 0,
              };
            }
            break;
          case "response.failed": {
            const e = event.response.error;
            const code = e?.code === "rate_limit_exceeded" ? "model_rate_limited" : "model_unavailable";
            throw new ModelError(code, `the model failed: ${e?.message ?? "unknown error"}${e?.code ? ` (${e.code})` : ""}`, undefined, {
              serverCode: e?.code ?? undefined,
            });
          }
          case "error":
            throw new ModelError("model_unavailable", `the model stream failed: ${event.message}`, undefined, { serverCode: event.code ?? undefined });
          default:
            break;
        }
        if (caps.stopped) break;
      }
    } catch (err) {
      if (!caps.stopped) throw toModelError(err, { apiKey: this.options.apiKey, signal: req.signal });
    }
    if (caps.stopped) {
      // The stream was cut at a cap: keep what was complete, and answer a cut-off call with an error.
      finalOutput = null;
      for (const call of pendingCalls.values()) {
        doneItems.push({ type: "function_call", id: "", call_id: call.call_id, name: call.name, arguments: "{}", status: "incomplete" });
      }
      usage.outputTokens = Math.ceil((deltaText.length + [...pendingCalls.values()].reduce((n, c) => n + c.args.length, 0)) / 4);
    }
    // The completed event carries every item; fall back to the items seen one by one.
    const output = finalOutput && finalOutput.length > 0 ? finalOutput : doneItems;
    const joined = caps.textCut ? "" : output.map(messageText).join("");
    const text = caps.textCut ? caps.cutText(deltaText) : joined || deltaText;
    const toolCalls: ToolCall[] = output
      .filter((i): i is ResponseFunctionToolCall => i.type === "function_call")
      .map((i) => ({ id: i.call_id, name: i.name, arguments: i.arguments, ...(caps.isCut(i.call_id) ? { truncated: true } : {}) }));
    history.items.push(...toInputItems(output.filter((i) => !(caps.textCut && i.type === "message"))));
    if ((caps.textCut || !output.some((i) => i.type === "message")) && text) history.addAssistantMessage(text);
    return { text, toolCalls, usage, done: toolCalls.length === 0, ...(caps.textCut ? { textTruncated: true } : {}) };
  }
}
