/**
 * A fake OpenAI-compatible model server for tests and the offline demo. @copilotkit/aimock speaks the wire protocols
 * (Responses and Chat Completions streaming, /v1/models); our scenario engine decides every answer.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { LLMock, type ChatCompletionRequest, type FixtureResponse } from "@copilotkit/aimock";

import { loadScenarios, planResponse, type ChatLikeMessage, type PlannedResponse } from "./scenarios";

export const DEFAULT_FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/model");

export type FakeModelOptions = {
  port?: number;
  host?: string;
  fixturesDir?: string;
  /** Delay between streamed events of a text answer, in ms (so UIs visibly stream). */
  textDelayMs?: number;
};

export type FakeModel = {
  /** Base URL including /v1, for `OPENAI_BASE_URL`. */
  url: string;
  close(): Promise<void>;
  /** Model requests answered so far. */
  readonly requests: number;
};

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function toFixtureResponse(plan: PlannedResponse, req: ChatCompletionRequest): FixtureResponse {
  if (plan.kind === "error") {
    return { status: plan.status, error: { message: plan.message, type: plan.type ?? "server_error", ...(plan.code ? { code: plan.code } : {}) } };
  }
  const input = estimateTokens(JSON.stringify(req.messages));
  if (plan.kind === "text") {
    return { content: plan.text, usage: { input_tokens: input, output_tokens: estimateTokens(plan.text), prompt_tokens: input, completion_tokens: estimateTokens(plan.text) } };
  }
  const out = estimateTokens(plan.text + plan.toolCalls.map((c) => c.arguments).join(""));
  const usage = { input_tokens: input, output_tokens: out, prompt_tokens: input, completion_tokens: out };
  let n = 0;
  const toolCalls = plan.toolCalls.map((c) => ({ ...c, id: `call_${Date.now().toString(36)}_${++n}` }));
  return plan.text ? { content: plan.text, toolCalls, usage } : { toolCalls, usage };
}

export async function startFakeModel(options: FakeModelOptions = {}): Promise<FakeModel> {
  const scenarios = loadScenarios(options.fixturesDir ?? DEFAULT_FIXTURES_DIR);
  let requests = 0;
  const plan = (req: ChatCompletionRequest) => planResponse(scenarios, req.messages as ChatLikeMessage[]);
  const answer = (req: ChatCompletionRequest) => {
    requests++;
    return toFixtureResponse(plan(req), req);
  };

  const mock = new LLMock({ port: options.port ?? 0, host: options.host ?? "127.0.0.1", logLevel: "silent", journalMaxEntries: 200 });
  // Text answers stream in small, spaced deltas; tool calls and errors go out at once.
  mock.addFixture({
    match: { predicate: (req) => plan(req).kind === "text" },
    response: answer,
    latency: options.textDelayMs ?? 20,
    chunkSize: 12,
  });
  mock.addFixture({ match: { predicate: () => true }, response: answer, latency: 0, chunkSize: 200 });

  const base = (await mock.start()).replace(/\/+$/, "");
  return {
    url: `${base}/v1`,
    close: () => mock.stop(),
    get requests() {
      return requests;
    },
  };
}
