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
    /** The fallback of its kind. */
    default?: boolean;
  };
  /** Answer every request with this HTTP error instead of steps. */
  error?: { status: number; message: string; type?: string; code?: string };
  steps: ScenarioStep[];
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

export type Selection = { scenario: Scenario; step: number; turnToolResults: string[] };

export function selectScenario(scenarios: Scenario[], messages: ChatLikeMessage[]): Selection {
  const userIdx = messages.flatMap((m, i) => (m.role === "user" ? [i] : []));
  const first = userIdx.length ? textOf(messages[userIdx[0]].content) : "";
  const lastIdx = userIdx.length ? userIdx[userIdx.length - 1] : -1;
  const last = lastIdx >= 0 ? textOf(messages[lastIdx].content) : "";
  const system = messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => textOf(m.content))
    .join("\n");
  const followUp =
    userIdx.length > 1 && messages.slice(0, lastIdx).some((m) => m.role === "assistant" && textOf(m.content).trim() !== "" && !m.tool_calls?.length);

  const turnToolResults = messages.slice(lastIdx + 1).filter((m) => m.role === "tool").map((m) => textOf(m.content));
  const pick = (scenario: Scenario): Selection => ({ scenario, step: turnToolResults.length, turnToolResults });

  const byMarker = (prompt: string) => scenarios.find((s) => s.match.marker && prompt.includes(s.match.marker));
  const hasKeyword = (s: Scenario, prompt: string) => (s.match.keywords ?? []).some((k) => prompt.toLowerCase().includes(k.toLowerCase()));

  if (followUp) {
    const marked = byMarker(last);
    if (marked) return pick(marked);
    const fu = scenarios.find((s) => s.match.followUp && hasKeyword(s, last));
    if (fu) return pick(fu);
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

export type PlannedResponse =
  | { kind: "error"; status: number; message: string; type?: string; code?: string }
  | { kind: "text"; text: string }
  | { kind: "tools"; text: string; toolCalls: { name: string; arguments: string }[] };

/** What the fake model answers to a conversation. */
export function planResponse(scenarios: Scenario[], messages: ChatLikeMessage[]): PlannedResponse {
  const { scenario, step, turnToolResults } = selectScenario(scenarios, messages);
  if (scenario.error) return { kind: "error", ...scenario.error };
  const s = scenario.steps[Math.min(step, scenario.steps.length - 1)] ?? { text: "Done." };
  const text = renderText(s.text ?? "", turnToolResults);
  if (!s.toolCalls?.length || step >= scenario.steps.length) return { kind: "text", text: text || "Done." };
  return {
    kind: "tools",
    text,
    toolCalls: s.toolCalls.map((c) => ({ name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) })),
  };
}
