import "server-only";

import type OpenAI from "openai";
import type {
  FunctionTool,
  ResponseFunctionToolCall,
  ResponseInputItem,
  ResponseOutputItem,
  ResponseStreamEvent,
} from "openai/resources/responses/responses";

import { ModelError, toModelError } from "./errors";
import type { ModelClient, ModelClientOptions, ModelHistory, StepRequest, StepResult, ToolCall } from "./types";

/** The conversation as Responses API input items (the model's own output items are appended as they come). */
export class ResponsesHistory implements ModelHistory {
  readonly apiMode = "responses" as const;
  readonly items: ResponseInputItem[] = [];

  addUserMessage(text: string): void {
    this.items.push({ role: "user", content: text });
  }

  addAssistantMessage(text: string): void {
    this.items.push({ role: "assistant", content: text });
  }

  addToolResult(call: ToolCall, output: string): void {
    this.items.push({ type: "function_call_output", call_id: call.id, output });
  }
}

function messageText(item: ResponseOutputItem): string {
  if (item.type !== "message") return "";
  return item.content.map((part) => (part.type === "output_text" ? part.text : "")).join("");
}

/**
 * Items are not persisted with `store: false`, so ids must not be sent back (the server would look them up);
 * assistant text goes back as a plain message, reasoning only with its encrypted content.
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

export class ResponsesModelClient implements ModelClient {
  readonly apiMode = "responses" as const;
  readonly model: string;

  constructor(
    private readonly client: OpenAI,
    private readonly options: ModelClientOptions,
  ) {
    this.model = options.model;
  }

  createHistory(): ResponsesHistory {
    return new ResponsesHistory();
  }

  async step(req: StepRequest): Promise<StepResult> {
    if (!(req.history instanceof ResponsesHistory)) throw new Error("ResponsesModelClient needs a ResponsesHistory");
    const history = req.history;
    const tools: FunctionTool[] = req.tools.map((t) => ({
      type: "function",
      name: t.name,
      description: t.description,
      parameters: t.parameters,
      strict: false,
    }));
    const effort = this.options.reasoningEffort;

    let deltaText = "";
    const doneItems: ResponseOutputItem[] = [];
    let finalOutput: ResponseOutputItem[] | null = null;
    let usage = { inputTokens: 0, outputTokens: 0 };
    try {
      const stream = await this.client.responses.create(
        {
          model: this.options.model,
          instructions: req.instructions,
          input: history.items,
          tools,
          tool_choice: "auto",
          parallel_tool_calls: false,
          stream: true,
          store: false,
          ...(effort ? { reasoning: { effort }, include: ["reasoning.encrypted_content" as const] } : {}),
        },
        { signal: req.signal },
      );
      for await (const event of stream as AsyncIterable<ResponseStreamEvent>) {
        switch (event.type) {
          case "response.output_text.delta":
            deltaText += event.delta;
            await req.onTextDelta?.(event.delta);
            break;
          case "response.output_item.done":
            doneItems.push(event.item);
            break;
          case "response.completed":
          case "response.incomplete":
            finalOutput = event.response.output ?? null;
            if (event.response.usage) {
              usage = { inputTokens: event.response.usage.input_tokens, outputTokens: event.response.usage.output_tokens };
            }
            break;
          case "response.failed": {
            const e = event.response.error;
            throw new ModelError("model_unavailable", `the model failed: ${e?.message ?? "unknown error"}${e?.code ? ` (${e.code})` : ""}`);
          }
          case "error":
            throw new ModelError("model_unavailable", `the model stream failed: ${event.message}`);
          default:
            break;
        }
      }
    } catch (err) {
      throw toModelError(err, { apiKey: this.options.apiKey, signal: req.signal });
    }

    // The completed event carries every item; fall back to the items seen one by one.
    const output = finalOutput && finalOutput.length > 0 ? finalOutput : doneItems;
    const joined = output.map(messageText).join("");
    const text = joined || deltaText;
    const toolCalls: ToolCall[] = output
      .filter((i): i is ResponseFunctionToolCall => i.type === "function_call")
      .map((i) => ({ id: i.call_id, name: i.name, arguments: i.arguments }));
    history.items.push(...toInputItems(output));
    if (!output.some((i) => i.type === "message") && text) history.addAssistantMessage(text);
    return { text, toolCalls, usage, done: toolCalls.length === 0 };
  }
}
