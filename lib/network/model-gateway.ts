import "server-only";
import fs from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { usageOf, type CallUsage } from "./model-usage";

/**
 * The one way an engine that runs inside a sandbox (Codex CLI, Claude Code) reaches its model: an HTTP server on a
 * Unix socket bound into the sandbox (bridged to 127.0.0.1:3129 there). It answers only the model API paths an
 * engine needs, drops whatever credentials the engine sent and adds the real key (which never enters the
 * sandbox), forwards to the configured provider, streams the answer back as it comes (SSE), reads the token usage
 * from every answer (streamed usage events included), refuses further calls once the attempt's token budget is
 * spent, and reports each call.
 */

export type ModelProvider = {
  /** "openai": the Responses / Chat Completions API (Codex CLI). "anthropic": the Messages API (Claude Code). */
  kind: "openai" | "anthropic";
  /** OpenAI: ends in /v1 (https://api.openai.com/v1). Anthropic: the host (https://api.anthropic.com), /v1 optional. */
  baseUrl: string;
  apiKey: string;
};

export type GatewayCall = CallUsage & {
  method: string;
  path: string;
  status: number;
  model: string | null;
  durationMs: number;
  /** Tokens of every call of the attempt so far, this one included. */
  totalTokens: number;
};

export type GatewayEvent =
  | ({ kind: "call" } & GatewayCall)
  | { kind: "refused"; method: string; path: string; reason: GatewayRefusal; message: string }
  | { kind: "failed"; method: string; path: string; message: string };

export type GatewayRefusal = "path" | "budget" | "too_large";

export type GatewayStats = { calls: number; refused: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; reasoningTokens: number };

export type ModelGateway = {
  readonly socketPath: string;
  readonly provider: ModelProvider["kind"];
  stats(): GatewayStats;
  /** True once the attempt's calls used `maxTokens` or more. */
  overBudget(): boolean;
  close(): Promise<void>;
};

/** Header of a refusal (like the egress proxy's), for tests and for a person reading the engine's error. */
export const GATEWAY_REFUSAL_HEADER = "x-patchbay-refused";

const GENERATION = {
  openai: [/^\/v1\/responses$/, /^\/v1\/responses\/compact$/, /^\/v1\/chat\/completions$/],
  anthropic: [/^\/v1\/messages$/],
} as const;
const OTHER = {
  openai: [/^\/v1\/models(\/[\w.:-]+)?$/],
  anthropic: [/^\/v1\/messages\/count_tokens$/, /^\/v1\/models(\/[\w.:-]+)?$/],
} as const;

/** What the gateway forwards: a generation call (counted against the budget) or a metadata call, else nothing. */
export function classifyPath(kind: ModelProvider["kind"], method: string, pathname: string): "generation" | "other" | null {
  if (method === "POST" && GENERATION[kind].some((r) => r.test(pathname))) return "generation";
  const otherMethod = pathname.startsWith("/v1/models") ? method === "GET" : method === "POST";
  if (otherMethod && OTHER[kind].some((r) => r.test(pathname))) return "other";
  return null;
}

/** The provider URL of a gateway path: /v1/<rest> below the OpenAI base (which holds /v1), or on the Anthropic host. */
export function upstreamUrl(provider: ModelProvider, pathAndQuery: string): URL {
  const base = provider.baseUrl.replace(/\/+$/, "");
  const rest = pathAndQuery.replace(/^\/v1/, "");
  if (provider.kind === "anthropic") return new URL(`${base.replace(/\/v1$/, "")}/v1${rest}`);
  return new URL(`${/\/v\d+$/.test(base) ? base : `${base}/v1`}${rest}`);
}

// Never forwarded: hop-by-hop headers, the engine's idea of credentials, cookies, the compression we need to read.
const DROPPED = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "api-key",
  "openai-organization",
  "openai-project",
  "cookie",
  "accept-encoding",
]);
const HOP_BY_HOP = new Set(["connection", "proxy-connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);

const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** A non-streamed answer is read for its usage up to this size (it is forwarded whole either way). */
const MAX_JSON_SCAN_BYTES = 16 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 30_000;
const IDLE_TIMEOUT_MS = 10 * 60_000;

function errorBody(kind: ModelProvider["kind"], type: string, message: string): string {
  return kind === "anthropic"
    ? JSON.stringify({ type: "error", error: { type, message } })
    : JSON.stringify({ error: { message, type, code: type, param: null } });
}

export async function startModelGateway(opts: {
  socketPath: string;
  provider: ModelProvider;
  /** Input + output tokens every generation call of the attempt may use together. */
  maxTokens: number;
  onEvent?: (e: GatewayEvent) => void;
}): Promise<ModelGateway> {
  const { provider } = opts;
  const stats: GatewayStats = { calls: 0, refused: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
  const sockets = new Set<Duplex>();
  const total = () => stats.inputTokens + stats.outputTokens;
  const emit = (e: GatewayEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // a failing listener must not break the gateway
    }
  };
  const client = provider.baseUrl.startsWith("https:") ? https : http;
  // One pool per gateway: connections to the provider are reused across the attempt's calls (TLS set up once).
  const agent = new client.Agent({ keepAlive: true, maxSockets: 16 });

  const refuse = (res: http.ServerResponse, method: string, path: string, reason: GatewayRefusal, status: number, type: string, message: string) => {
    stats.refused++;
    emit({ kind: "refused", method, path, reason, message });
    const body = errorBody(provider.kind, type, message);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), [GATEWAY_REFUSAL_HEADER]: reason, connection: "close" });
    res.end(body);
  };

  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://gateway");
    const path = url.pathname;
    // Claude Code checks that its base URL answers before it starts; nothing to forward.
    if (method === "HEAD" && (path === "/" || path === "/api/hello")) {
      res.writeHead(200, { "content-length": 0 });
      return res.end();
    }
    const kind = classifyPath(provider.kind, method, path);
    if (!kind) {
      return refuse(res, method, path, "path", 403, provider.kind === "anthropic" ? "permission_error" : "patchbay_path_refused", `Patchbay's model gateway does not forward ${method} ${path}: only the model API is reachable from the sandbox.`);
    }
    if (kind === "generation" && total() >= opts.maxTokens) {
      return refuse(
        res,
        method,
        path,
        "budget",
        400,
        provider.kind === "anthropic" ? "invalid_request_error" : "patchbay_token_budget",
        `Patchbay: this attempt used its token budget (${total()} of ${opts.maxTokens} tokens, AGENT_MAX_TOKENS); no further model calls are allowed.`,
      );
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_REQUEST_BYTES) return refuse(res, method, path, "too_large", 413, "request_too_large", "Patchbay's model gateway refuses requests over 32 MiB.");

    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!DROPPED.has(name) && value !== undefined) headers[name] = value;
    if (provider.kind === "anthropic") {
      headers["x-api-key"] = provider.apiKey;
      headers["anthropic-version"] ??= "2023-06-01";
    } else headers.authorization = `Bearer ${provider.apiKey}`;
    headers["accept-encoding"] = "identity";

    const target = upstreamUrl(provider, `${path}${url.search}`);
    const started = Date.now();
    const usage: CallUsage & { model: string | null } = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0, model: null };
    let settled = false;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      if (kind !== "generation" && usage.inputTokens + usage.outputTokens === 0) return;
      stats.calls++;
      stats.inputTokens += usage.inputTokens;
      stats.outputTokens += usage.outputTokens;
      stats.cachedInputTokens += usage.cachedInputTokens;
      stats.reasoningTokens += usage.reasoningTokens;
      emit({ kind: "call", method, path, status, durationMs: Date.now() - started, totalTokens: total(), ...usage });
    };

    const upstream = client.request(target, { method, headers, agent, timeout: CONNECT_TIMEOUT_MS });
    upstream.on("response", (up) => {
      upstream.setTimeout(IDLE_TIMEOUT_MS);
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      const encoded = typeof up.headers["content-encoding"] === "string" && up.headers["content-encoding"] !== "identity";
      const scanner = encoded ? null : usageScanner(String(up.headers["content-type"] ?? ""), usage);
      up.on("data", (chunk: Buffer) => {
        scanner?.push(chunk);
        res.write(chunk);
      });
      up.on("end", () => {
        scanner?.end();
        res.end();
        finish(up.statusCode ?? 502);
      });
      up.on("error", () => {
        finish(up.statusCode ?? 502);
        res.destroy();
      });
      // The engine went away (Stop): count what was streamed so far.
      res.on("close", () => {
        if (!res.writableFinished) {
          scanner?.end();
          finish(up.statusCode ?? 502);
          up.destroy();
        }
      });
    });
    upstream.on("timeout", () => upstream.destroy(new Error("the model provider did not answer in time")));
    upstream.on("error", (err) => {
      emit({ kind: "failed", method, path, message: `could not reach the model provider (${target.host}): ${err.message}` });
      if (!res.headersSent) {
        const body = errorBody(provider.kind, "api_error", `Patchbay's model gateway could not reach the model provider (${target.host}).`);
        res.writeHead(502, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      } else res.destroy();
    });
    let sent = 0;
    req.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > MAX_REQUEST_BYTES) {
        upstream.destroy();
        req.destroy();
      }
    });
    req.pipe(upstream);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  server.maxConnections = 64;

  await fs.rm(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.socketPath, () => resolve());
  });
  // The sandbox user connects to it (connect() needs write permission on the socket).
  await fs.chmod(opts.socketPath, 0o666);

  return {
    socketPath: opts.socketPath,
    provider: provider.kind,
    stats: () => ({ ...stats }),
    overBudget: () => total() >= opts.maxTokens,
    async close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await fs.rm(opts.socketPath, { force: true });
    },
  };
}

/** Reads usage from an answer as it streams: SSE events one by one, or a JSON body at its end. */
function usageScanner(contentType: string, into: CallUsage & { model: string | null }) {
  const apply = (payload: unknown) => {
    const found = usageOf(payload);
    if (!found) return;
    if (found.model) into.model = found.model;
    // Streamed usage is cumulative (Anthropic's message_delta repeats the totals so far): keep the largest.
    into.inputTokens = Math.max(into.inputTokens, found.inputTokens ?? 0);
    into.outputTokens = Math.max(into.outputTokens, found.outputTokens ?? 0);
    into.cachedInputTokens = Math.max(into.cachedInputTokens, found.cachedInputTokens ?? 0);
    into.reasoningTokens = Math.max(into.reasoningTokens, found.reasoningTokens ?? 0);
  };
  if (contentType.includes("text/event-stream")) {
    let buffer = "";
    let data: string[] = [];
    const line = (l: string) => {
      if (l === "") {
        if (data.length) {
          try {
            apply(JSON.parse(data.join("\n")));
          } catch {
            // [DONE] or not JSON
          }
        }
        data = [];
      } else if (l.startsWith("data:")) data.push(l.slice(5).trimStart());
    };
    const decoder = new TextDecoder();
    return {
      push(chunk: Buffer) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          line(buffer.slice(0, nl).replace(/\r$/, ""));
          buffer = buffer.slice(nl + 1);
        }
      },
      end() {
        if (buffer) line(buffer.replace(/\r$/, ""));
        buffer = "";
        line("");
      },
    };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk: Buffer) {
      size += chunk.length;
      if (size <= MAX_JSON_SCAN_BYTES) chunks.push(chunk);
    },
    end() {
      if (size === 0 || size > MAX_JSON_SCAN_BYTES) return;
      try {
        apply(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        // not JSON
      }
      chunks.length = 0;
      size = 0;
    },
  };
}
