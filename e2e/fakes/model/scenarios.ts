/**
 * Scripted scenarios of the fake model. Stateless: the scenario comes from the conversation's user messages and the
 * step from the number of tool results since the last user message, so any request can be answered on its own.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export type ScenarioToolCall = { name: string; arguments: Record<string, unknown> | string };

export type ScenarioStep = {
  /** Text streamed before the tool calls, or the final message when there are none. `{{chunk:N}}` is replaced by
   * the chunk id of the Nth tool result of this turn that has one (1-based; negative counts from the end). */
  text?: string;
  toolCalls?: ScenarioToolCall[];
  /** A reasoning summary streamed before the step (Responses reasoning item, Chat `reasoning_content`). */
  reasoning?: string;
};

export type Scenario = {
  name: string;
  description?: string;
  match: {
    /** Chosen when the first user message (or, in a follow-up, the new message) contains this marker. */
    marker?: string;
    /** Chosen when the prompt contains one of these words (case-insensitive). */
    keywords?: string[];
    /** "ask" scenarios answer questions (and Ask-mode tasks); "code" scenarios change code. */
    kind?: "code" | "ask";
    /** Only for follow-up turns (a new user message after a final answer). */
    followUp?: boolean;
    /** Chosen when the newest user message is one the person sent while the agent worked (steering). */
    steer?: boolean;
    /** The fallback of its kind. */
    default?: boolean;
  };
  /** Answer every request with this HTTP error instead of steps. */
  error?: { status: number; message: string; type?: string; code?: string };
  /**
   * Fail the first `times` (default 1) requests of each step of a conversation with this error, then answer normally:
   * a transient rate limit (429 with Retry-After `retryAfter` seconds) or outage (5xx). Needs the server's memory.
   */
  failFirst?: { status: number; message: string; times?: number; retryAfter?: number; type?: string; code?: string };
  /** Refuse (400 context_length_exceeded) any request whose messages serialize to more characters than this. */
  contextLimitChars?: number;
  steps: ScenarioStep[];
  /**
   * Alternative step lists (Best-of-N attempts that differ): a new conversation gets the next variant in turn (the
   * server counts), and a conversation under way is told apart by the variant's `key`, which must appear in the
   * arguments of its first tool call.
   */
  variants?: { key: string; steps: ScenarioStep[] }[];
};

export type ChatLikeMessage = {
  role: string;
  content: string | { type?: string; text?: string }[] | null;
  tool_calls?: unknown[];
};

export function loadScenarios(dir: string): Scenario[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  return files.map((f) => {
    const s = JSON.parse(readFileSync(path.join(dir, f), "utf8")) as Scenario;
    if (!s.name || !s.match || !Array.isArray(s.steps)) throw new Error(`fake model: bad scenario file ${f}`);
    return s;
  });
}

export function textOf(content: ChatLikeMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((p) => (typeof p.text === "string" ? p.text : "")).join("");
}

const QUESTION = /^\s*(how|what|why|where|which|who|when|does|do|is|are|can|could|should|explain|describe)\b/i;

function looksLikeQuestion(prompt: string): boolean {
  return prompt.includes("[ask]") || QUESTION.test(prompt) || prompt.trim().endsWith("?");
}

export type Selection = { scenario: Scenario; step: number; turnToolResults: string[]; turnMessages: ChatLikeMessage[] };

/** The agent's request for a handoff summary before it compacts the conversation (lib/agent/compaction.ts). */
const COMPACTION_MARKER = "CONTEXT CHECKPOINT COMPACTION";
/** What the fake writes into its summary, so that it can pick the scenario up where it was after compaction. */
const PROGRESS = /\[fake-progress scenario=(\S+) step=(\d+)\]/;

/**
 * Context an engine CLI sends as a user message of its own before the prompt (Codex CLI: the AGENTS.md files and an
 * environment description; Claude Code: system reminders), never the person's words.
 */
const HARNESS_CONTEXT = /^\s*(# AGENTS\.md instructions|<environment_context>|<user_instructions>|<system-reminder>[\s\S]*<\/system-reminder>\s*$)/;

/**
 * A user message that belongs to the user: not an image the agent attached (view_image), not a compaction request,
 * not a summary that replaced the history, not context an engine CLI added.
 */
function isUserTurn(m: ChatLikeMessage): boolean {
  if (m.role !== "user") return false;
  const text = textOf(m.content);
  return text.trim() !== "" && !text.startsWith(COMPACTION_MARKER) && !PROGRESS.test(text) && !HARNESS_CONTEXT.test(text);
}

/** How the agent loop prefixes a message the person sent while it worked (lib/agent/loop.ts STEER_PREFIX). */
const STEER_MARK = "[A message from the person while you work";

export function selectScenario(scenarios: Scenario[], messages: ChatLikeMessage[]): Selection {
  const summaryIdx = messages.findLastIndex((m) => m.role === "user" && PROGRESS.test(textOf(m.content)));
  if (summaryIdx >= 0) {
    // The history was compacted: continue the scenario the summary names, counting the tool results since it.
    const [, name, done] = PROGRESS.exec(textOf(messages[summaryIdx].content))!;
    const scenario = scenarios.find((s) => s.name === name);
    if (scenario) {
      const turnMessages = messages.slice(summaryIdx + 1);
      const turnToolResults = turnMessages.filter((m) => m.role === "tool").map((m) => textOf(m.content));
      return { scenario, step: Number(done) + turnToolResults.length, turnToolResults, turnMessages };
    }
  }
  const userIdx = messages.flatMap((m, i) => (isUserTurn(m) ? [i] : []));
  const first = userIdx.length ? textOf(messages[userIdx[0]].content) : "";
  const lastIdx = userIdx.length ? userIdx[userIdx.length - 1] : -1;
  const last = lastIdx >= 0 ? textOf(messages[lastIdx].content) : "";
  const system = messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => textOf(m.content))
    .join("\n");
  const followUp =
    userIdx.length > 1 && messages.slice(0, lastIdx).some((m) => m.role === "assistant" && textOf(m.content).trim() !== "" && !m.tool_calls?.length);

  const turnMessages = messages.slice(lastIdx + 1);
  const turnToolResults = turnMessages.filter((m) => m.role === "tool").map((m) => textOf(m.content));
  const pick = (scenario: Scenario): Selection => ({ scenario, step: turnToolResults.length, turnToolResults, turnMessages });

  const byMarker = (prompt: string) => scenarios.find((s) => s.match.marker && prompt.includes(s.match.marker));
  const hasKeyword = (s: Scenario, prompt: string) => (s.match.keywords ?? []).some((k) => prompt.toLowerCase().includes(k.toLowerCase()));

  if (followUp) {
    const marked = byMarker(last);
    if (marked) return pick(marked);
    const fu = scenarios.find((s) => s.match.followUp && hasKeyword(s, last));
    if (fu) return pick(fu);
  }
  // A message sent while the agent worked: acknowledged by the steering scenario, its steps counted from it.
  if (last.startsWith(STEER_MARK)) {
    const steer = scenarios.find((s) => s.match.steer);
    if (steer) return pick(steer);
  }
  const prompt = followUp ? last : first;
  const marked = byMarker(prompt);
  if (marked) return pick(marked);
  const askMode = /Mode: Ask/i.test(system);
  const kind: "code" | "ask" = askMode || looksLikeQuestion(prompt) ? "ask" : "code";
  const candidates = scenarios.filter((s) => !s.match.followUp && !s.match.marker && (s.match.kind ?? "code") === kind);
  const byKeyword = candidates.find((s) => hasKeyword(s, prompt));
  if (byKeyword) return pick(byKeyword);
  const fallback = candidates.find((s) => s.match.default) ?? scenarios.find((s) => s.match.default);
  if (!fallback) throw new Error("fake model: no default scenario");
  return pick(fallback);
}

/** Fills `{{chunk:N}}` templates from the tool results of this turn. */
export function renderText(text: string, turnToolResults: string[]): string {
  const chunkIds = turnToolResults.flatMap((r) => {
    const m = /^chunk_id:\s*(\S+)/m.exec(r);
    return m ? [m[1]] : [];
  });
  return text.replace(/\{\{chunk:(-?\d+)\}\}/g, (_, n: string) => {
    const i = Number(n);
    const id = i < 0 ? chunkIds[chunkIds.length + i] : chunkIds[i - 1];
    return id ?? "c1";
  });
}

export type PlannedResponse = (
  | { kind: "error"; status: number; message: string; type?: string; code?: string; retryAfter?: number }
  | { kind: "text"; text: string }
  | { kind: "tools"; text: string; toolCalls: { name: string; arguments: string }[] }
) & { reasoning?: string };

/** Identifies one step of one conversation (its scenario, prompt and step), for failFirst's count of failures. */
export function stepKey(scenarios: Scenario[], messages: ChatLikeMessage[]): string {
  const { scenario, step } = selectScenario(scenarios, messages);
  const prompt = messages.find(isUserTurn);
  return `${scenario.name}#${step}#${prompt ? textOf(prompt.content) : ""}`;
}

/**
 * The steps this conversation follows: the scenario's, or for a scenario with variants, the variant whose key its
 * turn so far mentions; a conversation that has not started one takes `nextVariant` (the server's count).
 */
function stepsOf(sel: Selection, nextVariant: number): ScenarioStep[] {
  const variants = sel.scenario.variants;
  if (!variants?.length) return sel.scenario.steps;
  const sofar = JSON.stringify(sel.turnMessages);
  return (variants.find((v) => sofar.includes(v.key)) ?? variants[nextVariant % variants.length]).steps;
}

/** Whether this request starts a conversation of a scenario with variants (the server then moves its count on). */
export function startsVariant(scenarios: Scenario[], messages: ChatLikeMessage[]): string | null {
  const sel = selectScenario(scenarios, messages);
  if (!sel.scenario.variants?.length || sel.step > 0) return null;
  const prompt = messages.find(isUserTurn);
  return `${sel.scenario.name}#${prompt ? textOf(prompt.content) : ""}`;
}

/**
 * What the fake model answers to a conversation; `failures` counts the earlier failed requests of this step,
 * `nextVariant` is the variant a new conversation of a scenario with variants takes.
 */
export function planResponse(scenarios: Scenario[], messages: ChatLikeMessage[], failures = 0, nextVariant = 0): PlannedResponse {
  const last = messages.findLast((m) => m.role === "user");
  if (last && textOf(last.content).startsWith(COMPACTION_MARKER)) {
    const before = selectScenario(scenarios, messages.slice(0, messages.lastIndexOf(last)));
    return { kind: "text", text: `Summary of the work so far: ${before.step} steps done. [fake-progress scenario=${before.scenario.name} step=${before.step}]` };
  }
  const selection = selectScenario(scenarios, messages);
  const { scenario, step, turnToolResults } = selection;
  const steps = stepsOf(selection, nextVariant);
  if (scenario.error) return { kind: "error", ...scenario.error };
  if (scenario.contextLimitChars !== undefined && JSON.stringify(messages).length > scenario.contextLimitChars) {
    return {
      kind: "error",
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      message: `This model's maximum context length is ${scenario.contextLimitChars} characters; your messages are longer.`,
    };
  }
  if (scenario.failFirst && failures < (scenario.failFirst.times ?? 1)) {
    const { status, message, type, code, retryAfter } = scenario.failFirst;
    return { kind: "error", status, message, type, code, retryAfter };
  }
  const s = steps[Math.min(step, steps.length - 1)] ?? { text: "Done." };
  const text = renderText(s.text ?? "", turnToolResults);
  const reasoning = step < steps.length && s.reasoning ? { reasoning: s.reasoning } : {};
  if (!s.toolCalls?.length || step >= steps.length) return { kind: "text", text: text || "Done.", ...reasoning };
  return {
    kind: "tools",
    text,
    toolCalls: s.toolCalls.map((c) => ({ name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) })),
    ...reasoning,
  };
}
