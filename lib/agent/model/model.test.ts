import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";

import { createModelClient, ModelError, redactSecrets, toModelError } from ".";
import type { ApiMode } from "./types";

let fake: FakeModel;
beforeAll(async () => {
  fake = await startFakeModel({ textDelayMs: 1 });
});
afterAll(async () => {
  await fake?.close();
});

const KEY = "sk-proj-SECRETSECRETSECRET";
const client = (apiMode: ApiMode) => createModelClient({ baseURL: fake.url, apiKey: KEY, model: "fake", apiMode, timeoutMs: 5000, maxRetries: 0 });
const tools = [{ name: "shell", description: "run", parameters: { type: "object", properties: { command: { type: "array", items: { type: "string" } } } } }];

describe.each<ApiMode>(["responses", "chat"])("ModelClient over %s", (apiMode) => {
  it("streams a tool call, then the final text, keeping the history", async () => {
    const c = client(apiMode);
    const history = c.createHistory();
    history.addUserMessage("How does sum work?");
    const first = await c.step({ instructions: "be brief", history, tools });
    expect(first.done).toBe(false);
    expect(first.toolCalls).toEqual([{ id: expect.any(String), name: "shell", arguments: '{"command":["cat","src/sum.js"]}' }]);
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    history.addToolResult(first.toolCalls[0], "chunk_id: c7\nexit_code: 0\noutput:\nfunction sum() {}");
    const deltas: string[] = [];
    const second = await c.step({ instructions: "be brief", history, tools, onTextDelta: (d) => void deltas.push(d) });
    expect(second.done).toBe(true);
    expect(second.toolCalls).toEqual([]);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe(second.text);
    expect(second.text).toContain("【F:src/sum.js†L1-L5】");
    expect(second.text).toContain("【c7†L1-L5】");
  });

  it.each([
    ["[scenario:model-error]", "model_unavailable"],
    ["[scenario:auth-error]", "model_auth"],
    ["[scenario:rate-limit]", "model_rate_limited"],
    ["[scenario:bad-request]", "model_bad_request"],
  ])("maps %s to %s", async (marker, code) => {
    const c = client(apiMode);
    const history = c.createHistory();
    history.addUserMessage(`${marker} hi`);
    const err = await c.step({ instructions: "", history, tools }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe(code);
    expect((err as ModelError).message.startsWith(`${code}: `)).toBe(true);
    expect((err as ModelError).message).not.toContain(KEY);
    if (code === "model_bad_request") expect((err as ModelError).detail).toContain("does not exist");
  });

  it("reports an unreachable server as model_unavailable", async () => {
    const c = createModelClient({ baseURL: "http://127.0.0.1:9/v1", apiKey: KEY, model: "m", apiMode, timeoutMs: 2000, maxRetries: 0 });
    const history = c.createHistory();
    history.addUserMessage("hi");
    await expect(c.step({ instructions: "", history, tools })).rejects.toMatchObject({ code: "model_unavailable" });
  });

  it("reports an aborted call as cancelled", async () => {
    const c = client(apiMode);
    const history = c.createHistory();
    history.addUserMessage("How does sum work?");
    const ac = new AbortController();
    ac.abort();
    await expect(c.step({ instructions: "", history, tools, signal: ac.signal })).rejects.toMatchObject({ code: "cancelled" });
  });
});

describe("toModelError", () => {
  const headers = new Headers();
  it("never shows the key", () => {
    const e = toModelError(OpenAI.APIError.generate(400, { error: { message: `bad key ${KEY} and sk-abcdefghijk` } }, undefined, headers), { apiKey: KEY });
    expect(e.code).toBe("model_bad_request");
    expect(e.message).not.toContain(KEY);
    expect(e.message).not.toContain("sk-abcdefghijk");
  });
  it("maps statuses", () => {
    expect(toModelError(OpenAI.APIError.generate(401, { error: { message: `Incorrect API key provided: ${KEY}` } }, undefined, headers)).message).toBe(
      "model_auth: the model server rejected the API key",
    );
    expect(toModelError(OpenAI.APIError.generate(503, { error: { message: "overloaded" } }, undefined, headers)).code).toBe("model_unavailable");
    expect(toModelError(new OpenAI.APIConnectionTimeoutError()).code).toBe("model_unavailable");
    expect(toModelError(OpenAI.APIError.generate(404, { error: { message: "The model `x` does not exist" } }, undefined, headers)).message).toBe(
      "model_bad_request: The model `x` does not exist",
    );
    expect(toModelError(new OpenAI.APIUserAbortError()).code).toBe("cancelled");
  });
  it("redacts bearer tokens", () => {
    expect(redactSecrets("Authorization: Bearer abc.def")).toBe("Authorization: Bearer [redacted]");
  });
});
