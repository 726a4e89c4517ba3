import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";
import { classifyPath, GATEWAY_REFUSAL_HEADER, startModelGateway, upstreamUrl, type GatewayEvent, type ModelGateway } from "./model-gateway";
import { usageOf } from "./model-usage";

/** One request over the gateway's Unix socket, as an engine in the sandbox makes it (through the bridge). */
function request(socketPath: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: unknown }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; chunks: number }>((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        socketPath,
        method: opts.method ?? "POST",
        path: opts.path,
        headers: { "content-type": "application/json", ...(data ? { "content-length": Buffer.byteLength(data) } : {}), ...opts.headers },
      },
      (res) => {
        let body = "";
        let chunks = 0;
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          chunks++;
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, chunks }));
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

/** A stand-in provider that records what reached it (headers and path), in front of the fake model. */
async function recordingUpstream(target: string) {
  const seen: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? "", headers: req.headers });
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let fake: FakeModel;
let dir: string;
beforeAll(async () => {
  fake = await startFakeModel({ textDelayMs: 1 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "gateway-"));
});
afterAll(async () => {
  await fake.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("model gateway", () => {
  let n = 0;
  const open = async (kind: "openai" | "anthropic", baseUrl: string, maxTokens = 1_000_000) => {
    const events: GatewayEvent[] = [];
    const gw = await startModelGateway({ socketPath: path.join(dir, `gw-${++n}.sock`), provider: { kind, baseUrl, apiKey: "sk-real-key" }, maxTokens, onEvent: (e) => events.push(e) });
    return { gw, events };
  };
  const close = (gw: ModelGateway) => gw.close();

  it("forwards a streamed Responses call with the real key, whatever the engine sent, and counts its usage", async () => {
    const rec = await recordingUpstream(fake.url.replace(/\/v1$/, ""));
    const { gw, events } = await open("openai", `${rec.url}/v1`);
    try {
      const res = await request(gw.socketPath, {
        path: "/v1/responses",
        headers: { authorization: "Bearer dummy-from-sandbox", "x-api-key": "also-dummy", cookie: "a=b" },
        body: { model: "gpt-5-codex", stream: true, input: [{ role: "user", content: "How does sum work? [ask]" }] },
      });
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toContain("text/event-stream");
      expect(res.body).toContain("response.completed");
      expect(rec.seen[0].path).toBe("/v1/responses");
      expect(rec.seen[0].headers.authorization).toBe("Bearer sk-real-key");
      expect(rec.seen[0].headers["x-api-key"]).toBeUndefined();
      expect(rec.seen[0].headers.cookie).toBeUndefined();
      const call = events.find((e) => e.kind === "call");
      expect(call).toMatchObject({ kind: "call", path: "/v1/responses", status: 200, model: "gpt-5-codex" });
      expect(call && call.kind === "call" && call.inputTokens).toBeGreaterThan(0);
      expect(call && call.kind === "call" && call.outputTokens).toBeGreaterThan(0);
      expect(gw.stats().calls).toBe(1);
    } finally {
      await close(gw);
      await rec.close();
    }
  });

  it("streams the answer through as it comes instead of buffering it", async () => {
    const { gw } = await open("openai", fake.url);
    try {
      const res = await request(gw.socketPath, { path: "/v1/chat/completions", body: { model: "gpt-4o", stream: true, messages: [{ role: "user", content: "How does sum work? [ask]" }] } });
      expect(res.status).toBe(200);
      expect(res.chunks).toBeGreaterThan(3);
    } finally {
      await close(gw);
    }
  });

  it("forwards Anthropic Messages calls with x-api-key and reads usage from message_start and message_delta", async () => {
    const rec = await recordingUpstream(fake.url.replace(/\/v1$/, ""));
    const { gw, events } = await open("anthropic", rec.url);
    try {
      const res = await request(gw.socketPath, {
        path: "/v1/messages?beta=true",
        headers: { "x-api-key": "dummy", "anthropic-version": "2023-06-01", authorization: "Bearer nope" },
        body: { model: "claude-sonnet-4-5", max_tokens: 1000, stream: true, messages: [{ role: "user", content: "How does sum work? [ask]" }] },
      });
      expect(res.status).toBe(200);
      expect(res.body).toContain("message_delta");
      expect(rec.seen[0].path).toBe("/v1/messages?beta=true");
      expect(rec.seen[0].headers["x-api-key"]).toBe("sk-real-key");
      expect(rec.seen[0].headers.authorization).toBeUndefined();
      const call = events.find((e) => e.kind === "call");
      expect(call).toMatchObject({ kind: "call", model: "claude-sonnet-4-5" });
      expect(call && call.kind === "call" && call.inputTokens).toBeGreaterThan(0);
      expect(call && call.kind === "call" && call.outputTokens).toBeGreaterThan(0);
    } finally {
      await close(gw);
      await rec.close();
    }
  });

  it("refuses every path an engine does not need, and never forwards it", async () => {
    const rec = await recordingUpstream(fake.url.replace(/\/v1$/, ""));
    const { gw, events } = await open("openai", `${rec.url}/v1`);
    try {
      for (const [method, p] of [
        ["GET", "/v1/files"],
        ["POST", "/v1/fine_tuning/jobs"],
        ["DELETE", "/v1/responses"],
        ["GET", "/admin"],
        ["POST", "/v1/messages"],
      ]) {
        const res = await request(gw.socketPath, { method, path: p, body: method === "GET" ? undefined : {} });
        expect(res.status, `${method} ${p}`).toBe(403);
        expect(res.headers[GATEWAY_REFUSAL_HEADER]).toBe("path");
        expect(JSON.parse(res.body).error.message).toContain("does not forward");
      }
      expect(rec.seen).toHaveLength(0);
      expect(events.filter((e) => e.kind === "refused")).toHaveLength(5);
      const models = await request(gw.socketPath, { method: "GET", path: "/v1/models" });
      expect(models.status).toBe(200);
    } finally {
      await close(gw);
      await rec.close();
    }
  });

  it("refuses further calls with a clear error once the attempt's token budget is spent", async () => {
    const { gw, events } = await open("openai", fake.url, 1000);
    try {
      const body = { model: "gpt-5-codex", stream: true, input: [{ role: "user", content: `How does sum work? [ask] ${"x".repeat(5000)}` }] };
      const first = await request(gw.socketPath, { path: "/v1/responses", body });
      expect(first.status).toBe(200);
      expect(gw.overBudget()).toBe(true);
      const second = await request(gw.socketPath, { path: "/v1/responses", body });
      expect(second.status).toBe(400);
      expect(second.headers[GATEWAY_REFUSAL_HEADER]).toBe("budget");
      expect(JSON.parse(second.body).error.message).toMatch(/token budget.*AGENT_MAX_TOKENS/);
      expect(events.at(-1)).toMatchObject({ kind: "refused", reason: "budget" });
      expect(fake.requests).toBeGreaterThan(0);
    } finally {
      await close(gw);
    }
  });

  it("answers Claude Code's start-up check itself and says when the provider is unreachable", async () => {
    const { gw, events } = await open("anthropic", "http://127.0.0.1:9");
    try {
      const hello = await request(gw.socketPath, { method: "HEAD", path: "/api/hello" });
      expect(hello.status).toBe(200);
      const res = await request(gw.socketPath, { path: "/v1/messages", body: { model: "m", max_tokens: 10, messages: [] } });
      expect(res.status).toBe(502);
      expect(res.body).not.toContain("sk-real-key");
      expect(events.at(-1)).toMatchObject({ kind: "failed" });
    } finally {
      await close(gw);
    }
  });
});

describe("gateway paths and usage", () => {
  it("maps gateway paths onto each provider's base URL", () => {
    expect(upstreamUrl({ kind: "openai", baseUrl: "https://api.openai.com/v1", apiKey: "" }, "/v1/responses").href).toBe("https://api.openai.com/v1/responses");
    expect(upstreamUrl({ kind: "openai", baseUrl: "http://vllm:8000/v1/", apiKey: "" }, "/v1/chat/completions").href).toBe("http://vllm:8000/v1/chat/completions");
    expect(upstreamUrl({ kind: "anthropic", baseUrl: "https://api.anthropic.com", apiKey: "" }, "/v1/messages?beta=true").href).toBe("https://api.anthropic.com/v1/messages?beta=true");
    expect(upstreamUrl({ kind: "anthropic", baseUrl: "http://127.0.0.1:3102/v1", apiKey: "" }, "/v1/messages").href).toBe("http://127.0.0.1:3102/v1/messages");
  });

  it("allows only the model API of the engine's provider", () => {
    expect(classifyPath("openai", "POST", "/v1/responses")).toBe("generation");
    expect(classifyPath("openai", "POST", "/v1/responses/compact")).toBe("generation");
    expect(classifyPath("openai", "GET", "/v1/models/gpt-5-codex")).toBe("other");
    expect(classifyPath("openai", "POST", "/v1/messages")).toBeNull();
    expect(classifyPath("anthropic", "POST", "/v1/messages")).toBe("generation");
    expect(classifyPath("anthropic", "POST", "/v1/messages/count_tokens")).toBe("other");
    expect(classifyPath("anthropic", "POST", "/v1/responses")).toBeNull();
    expect(classifyPath("anthropic", "GET", "/v1/messages")).toBeNull();
  });

  it("reads usage from each API's answers and streamed events", () => {
    expect(usageOf({ type: "response.completed", response: { model: "gpt-5", usage: { input_tokens: 10, output_tokens: 3, input_tokens_details: { cached_tokens: 4 }, output_tokens_details: { reasoning_tokens: 2 } } } })).toEqual({
      inputTokens: 10,
      outputTokens: 3,
      cachedInputTokens: 4,
      reasoningTokens: 2,
      model: "gpt-5",
    });
    expect(usageOf({ type: "message_start", message: { model: "claude", usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 7, output_tokens: 1 } } })).toEqual({
      inputTokens: 112,
      outputTokens: 1,
      cachedInputTokens: 100,
      model: "claude",
    });
    expect(usageOf({ type: "message_delta", usage: { output_tokens: 42 } })).toEqual({ outputTokens: 42, cachedInputTokens: 0 });
    expect(usageOf({ object: "chat.completion.chunk", model: "m", usage: { prompt_tokens: 8, completion_tokens: 2 } })).toMatchObject({ inputTokens: 8, outputTokens: 2 });
    expect(usageOf({ type: "message", model: "claude", usage: { input_tokens: 3, output_tokens: 4 } })).toMatchObject({ inputTokens: 3, outputTokens: 4 });
    expect(usageOf({ type: "response.output_text.delta", delta: "hi" })).toBeNull();
  });
});
