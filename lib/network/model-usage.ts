/**
 * Token usage as model APIs report it, in one shape. Input counts every input token the provider bills, cached
 * ones included (OpenAI's input_tokens already holds them; Anthropic reports cache reads and writes apart).
 */
export type CallUsage = { inputTokens: number; outputTokens: number; cachedInputTokens: number; reasoningTokens: number };

type Found = Partial<CallUsage> & { model?: string };

const obj = (v: unknown): Record<string, unknown> | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const n = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
const s = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** OpenAI Responses usage (input_tokens / output_tokens with details). */
function responsesUsage(u: Record<string, unknown>): Found {
  return {
    inputTokens: n(u.input_tokens),
    outputTokens: n(u.output_tokens),
    cachedInputTokens: n(obj(u.input_tokens_details)?.cached_tokens),
    reasoningTokens: n(obj(u.output_tokens_details)?.reasoning_tokens),
  };
}

/** Anthropic Messages usage: input is the uncached part; cache reads and writes are billed input too. */
function anthropicUsage(u: Record<string, unknown>): Found {
  const cached = n(u.cache_read_input_tokens);
  const found: Found = { outputTokens: n(u.output_tokens), cachedInputTokens: cached };
  const input = n(u.input_tokens) + cached + n(u.cache_creation_input_tokens);
  // message_delta carries only output_tokens in older API versions: no input there is "unknown", not zero.
  if (input > 0) found.inputTokens = input;
  return found;
}

/** Chat Completions usage (prompt_tokens / completion_tokens). */
function chatUsage(u: Record<string, unknown>): Found {
  return {
    inputTokens: n(u.prompt_tokens),
    outputTokens: n(u.completion_tokens),
    cachedInputTokens: n(obj(u.prompt_tokens_details)?.cached_tokens),
    reasoningTokens: n(obj(u.completion_tokens_details)?.reasoning_tokens),
  };
}

/**
 * The usage (and model) one payload reports: a streamed event (Responses `response.completed`, Anthropic
 * `message_start` / `message_delta`, a Chat Completions chunk with usage) or a whole JSON answer. Null when it
 * reports none.
 */
export function usageOf(payload: unknown): Found | null {
  const p = obj(payload);
  if (!p) return null;
  const type = s(p.type);
  // Responses streaming: the final event carries the response with its usage.
  if (type && /^response\.(completed|done|incomplete|failed)$/.test(type)) {
    const r = obj(p.response);
    const u = obj(r?.usage);
    return u ? { ...responsesUsage(u), model: s(r?.model) } : null;
  }
  if (type === "response.created" || type === "response.in_progress") {
    const model = s(obj(p.response)?.model);
    return model ? { model } : null;
  }
  // Anthropic streaming.
  if (type === "message_start") {
    const m = obj(p.message);
    const u = obj(m?.usage);
    return { ...(u ? anthropicUsage(u) : {}), model: s(m?.model) };
  }
  if (type === "message_delta") {
    const u = obj(p.usage);
    return u ? anthropicUsage(u) : null;
  }
  const u = obj(p.usage);
  if (!u) return s(p.model) ? { model: s(p.model) } : null;
  // Whole answers: an Anthropic message, a Responses response, a Chat completion (or a streamed chunk with usage).
  if (type === "message") return { ...anthropicUsage(u), model: s(p.model) };
  if (p.object === "response" || "input_tokens" in u) return { ...responsesUsage(u), model: s(p.model) };
  return { ...chatUsage(u), model: s(p.model) };
}
