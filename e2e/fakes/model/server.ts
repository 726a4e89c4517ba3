/**
 * A fake OpenAI-compatible model server for tests and the offline demo. @copilotkit/aimock speaks the wire protocols
 * (Responses and Chat Completions streaming, /v1/models); our scenario engine decides every answer. A small proxy in
 * front keeps each request body as the client sent it, so tests can check what a real server would have received.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { LLMock, type ChatCompletionRequest, type FixtureResponse } from "@copilotkit/aimock";

import { loadScenarios, planResponse, startsVariant, stepKey, type ChatLikeMessage, type PlannedResponse } from "./scenarios";

export const DEFAULT_FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/model");

export type FakeModelOptions = {
  port?: number;
  host?: string;
  fixturesDir?: string;
  /** Delay between streamed events of a text answer, in ms (so UIs visibly stream). */
  textDelayMs?: number;
};

/** A request as the client sent it: path and parsed JSON body. */
export type RecordedRequest = { path: string; body: Record<string, unknown> };

export type FakeModel = {
  /** Base URL including /v1, for `OPENAI_BASE_URL`. */
  url: string;
  close(): Promise<void>;
  /** Model requests answered so far. */
  readonly requests: number;
  /** The latest model requests (Responses and Chat Completions), oldest first; at most 500. */
  readonly received: RecordedRequest[];
};

const MAX_RECORDED = 500;

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function toFixtureResponse(plan: PlannedResponse, req: ChatCompletionRequest): FixtureResponse {
  if (plan.kind === "error") {
    return {
      status: plan.status,
      error: { message: plan.message, type: plan.type ?? "server_error", ...(plan.code ? { code: plan.code } : {}) },
      ...(plan.retryAfter !== undefined ? { retryAfter: plan.retryAfter } : {}),
    };
  }
  const input = estimateTokens(JSON.stringify(req.messages));
  const reasoning = plan.reasoning ? { reasoning: plan.reasoning } : {};
  if (plan.kind === "text") {
    const out = estimateTokens(plan.text);
    return { content: plan.text, ...reasoning, usage: { input_tokens: input, output_tokens: out, prompt_tokens: input, completion_tokens: out } };
  }
  const out = estimateTokens(plan.text + plan.toolCalls.map((c) => c.arguments).join(""));
  const usage = { input_tokens: input, output_tokens: out, prompt_tokens: input, completion_tokens: out };
  let n = 0;
  const toolCalls = plan.toolCalls.map((c) => ({ ...c, id: `call_${Date.now().toString(36)}_${++n}` }));
  return plan.text ? { content: plan.text, toolCalls, usage, ...reasoning } : { toolCalls, usage, ...reasoning };
}

/**
 * Forwards every request to aimock, keeping a copy of model request bodies. `GET /_fake/requests?last=N` answers the
 * latest N of them (default 20), for end-to-end tests that check what the model was sent (images, messages).
 */
function startRecordingProxy(target: string, listen: { port: number; host: string }, received: RecordedRequest[]): Promise<http.Server> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "GET" && url.pathname === "/_fake/requests") {
      const last = Math.min(Math.max(Number(url.searchParams.get("last") ?? 20) || 20, 1), MAX_RECORDED);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ requests: received.slice(-last) }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const reqPath = req.url ?? "/";
      if (req.method === "POST" && /\/(responses|chat\/completions|messages)$/.test(reqPath.split("?")[0])) {
        try {
          received.push({ path: reqPath, body: JSON.parse(body.toString("utf8")) as Record<string, unknown> });
          if (received.length > MAX_RECORDED) received.splice(0, received.length - MAX_RECORDED);
        } catch {
          // not JSON: aimock answers it
        }
      }
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: reqPath, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      out.end(body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}

export async function startFakeModel(options: FakeModelOptions = {}): Promise<FakeModel> {
  const scenarios = loadScenarios(options.fixturesDir ?? DEFAULT_FIXTURES_DIR);
  let requests = 0;
  const received: RecordedRequest[] = [];
  // failFirst: failures served so far per conversation step.
  const failures = new Map<string, number>();
  // Scenarios with variants: how many conversations of each (scenario, prompt) have started.
  const variantCounts = new Map<string, number>();
  const messagesOf = (req: ChatCompletionRequest) => req.messages as ChatLikeMessage[];
  const plan = (req: ChatCompletionRequest) => {
    const messages = messagesOf(req);
    const starts = startsVariant(scenarios, messages);
    return planResponse(scenarios, messages, failures.get(stepKey(scenarios, messages)) ?? 0, starts ? (variantCounts.get(starts) ?? 0) : 0);
  };
  const answer = (req: ChatCompletionRequest) => {
    requests++;
    const planned = plan(req);
    const starts = startsVariant(scenarios, messagesOf(req));
    if (starts) variantCounts.set(starts, (variantCounts.get(starts) ?? 0) + 1);
    if (planned.kind === "error") {
      const key = stepKey(scenarios, messagesOf(req));
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    return toFixtureResponse(planned, req);
  };

  const mock = new LLMock({ port: 0, host: "127.0.0.1", logLevel: "silent", journalMaxEntries: 200 });
  // Text answers stream in small, spaced deltas; tool calls and errors go out at once.
  mock.addFixture({
    match: { predicate: (req) => plan(req).kind === "text" },
    response: answer,
    latency: options.textDelayMs ?? 20,
    chunkSize: 12,
  });
  mock.addFixture({ match: { predicate: () => true }, response: answer, latency: 0, chunkSize: 200 });

  const mockUrl = (await mock.start()).replace(/\/+$/, "");
  const proxy = await startRecordingProxy(mockUrl, { port: options.port ?? 0, host: options.host ?? "127.0.0.1" }, received);
  const address = proxy.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await mock.stop();
    },
    get requests() {
      return requests;
    },
    received,
  };
}
