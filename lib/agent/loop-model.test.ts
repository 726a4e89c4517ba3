import { readFileSync } from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { FakeModel } from "@/e2e/fakes/model/server";

import { ModelError, retryAfterMs } from "./model/errors";
import { ResponsesHistory, ResponsesModelClient } from "./model/responses";
import { backoffMs, withRetries } from "./model/retry";
import type { ApiMode, RetryInfo } from "./model/types";
import { freshWorkspace, removeWorkspace, runWithFake, startHarness, toolOutputs, WIDGETS } from "./testing/harness";

let fake: FakeModel;
let dir: string;
beforeAll(async () => {
  fake = await startHarness();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  dir = freshWorkspace();
});
afterEach(() => removeWorkspace(dir));

const ask = { mode: "ask" as const, fs: null };

describe("Responses API requests", () => {
  it("are stateless for reasoning models: store false, encrypted reasoning included, summaries asked for, one cache key", async () => {
    const r = runWithFake(fake, dir, { modelName: "gpt-5-codex", prompt: "[scenario:reasoning] how does sum work?", promptCacheKey: "attempt-42", ...ask });
    expect((await r.promise).status).toBe("succeeded");
    const reqs = r.requests();
    expect(reqs).toHaveLength(2);
    for (const { body } of reqs) {
      expect(body).toMatchObject({ store: false, include: ["reasoning.encrypted_content"], reasoning: { summary: "auto" }, prompt_cache_key: "attempt-42" });
    }
  });

  it("carry the model's encrypted reasoning from one step to the next", async () => {
    const r = runWithFake(fake, dir, { modelName: "gpt-5-codex", prompt: "[scenario:reasoning] how does sum work?", ...ask });
    await r.promise;
    const second = r.requests()[1].body.input as { type?: string; encrypted_content?: string }[];
    const reasoning = second.filter((i) => i.type === "reasoning");
    expect(reasoning).toHaveLength(1);
    expect(reasoning[0].encrypted_content).toEqual(expect.any(String));
    // The item precedes the tool call it led to, as the model produced them.
    expect(second.findIndex((i) => i.type === "reasoning")).toBeLessThan(second.findIndex((i) => i.type === "function_call"));
  });

  it("use a fresh cache key per run unless one is given, the same for every step", async () => {
    const keys = (x: ReturnType<typeof runWithFake>) => new Set(x.requests().map((q) => q.body.prompt_cache_key));
    const a = runWithFake(fake, dir, { modelName: "gpt-5-codex", prompt: "[scenario:reasoning] a", ...ask });
    await a.promise;
    const keysA = keys(a);
    const b = runWithFake(fake, dir, { modelName: "gpt-5-codex", prompt: "[scenario:reasoning] b", ...ask });
    await b.promise;
    expect(keysA.size).toBe(1);
    expect(keys(b).size).toBe(1);
    expect([...keysA][0]).not.toBe([...keys(b)][0]);
  });

  it("send no reasoning options to a model that does not reason, unless an effort is configured", async () => {
    const plain = runWithFake(fake, dir, { modelName: "gpt-4.1", prompt: "How does sum work?", ...ask });
    await plain.promise;
    expect(plain.requests()[0].body).toMatchObject({ store: false });
    expect(plain.requests()[0].body.include).toBeUndefined();
    expect(plain.requests()[0].body.reasoning).toBeUndefined();
    const effort = runWithFake(fake, dir, { modelName: "my-model", prompt: "How does sum work?", client: { reasoningEffort: "high" }, ...ask });
    await effort.promise;
    expect(effort.requests()[0].body).toMatchObject({ reasoning: { effort: "high", summary: "auto" }, include: ["reasoning.encrypted_content"] });
  });

  it("drop an option the server refuses (reasoning summaries for an unverified organization) and go on", async () => {
    const seen: Record<string, unknown>[] = [];
    async function* completed() {
      yield { type: "response.completed", response: { output: [{ type: "message", content: [{ type: "output_text", text: "ok" }] }], usage: { input_tokens: 1, output_tokens: 1 } } };
    }
    const client = {
      responses: {
        create: async (params: Record<string, unknown>) => {
          seen.push(params);
          if ((params.reasoning as { summary?: string } | undefined)?.summary) {
            throw OpenAI.APIError.generate(400, { error: { message: "Your organization must be verified to generate reasoning summaries." } }, undefined, new Headers());
          }
          return completed();
        },
      },
    } as unknown as OpenAI;
    const model = new ResponsesModelClient(client, { baseURL: "", apiKey: "k", model: "gpt-5-codex", apiMode: "responses", timeoutMs: 1000, maxRetries: 0 });
    const history = new ResponsesHistory();
    history.addUserMessage("hi");
    expect((await model.step({ instructions: "", history, tools: [] })).text).toBe("ok");
    expect((await model.step({ instructions: "", history, tools: [] })).text).toBe("ok");
    expect(seen.map((p) => (p.reasoning as { summary?: string } | undefined)?.summary ?? null)).toEqual(["auto", null, null]);
    expect(seen[1].include).toEqual(["reasoning.encrypted_content"]);
  });
});

describe.each<ApiMode>(["responses", "chat"])("the agent's thinking over %s", (apiMode) => {
  it("streams reasoning summaries to the log as activity, one summary per step", async () => {
    const r = runWithFake(fake, dir, { apiMode, modelName: "gpt-5-codex", prompt: "[scenario:reasoning] how does sum work?", ...ask });
    expect((await r.promise).status).toBe("succeeded");
    const summaries = r.activity.flatMap((a) => (a.type === "reasoning" ? [a.text] : []));
    expect(summaries).toEqual([
      "The question is about sum(); I should read src/sum.js before answering.",
      "sum() adds its arguments with reduce; that answers it.",
    ]);
    const deltas = r.activity.flatMap((a) => (a.type === "reasoning_delta" ? [a.text] : [])).join("");
    expect(deltas).toBe(summaries.join(""));
  });
});

describe.each<ApiMode>(["responses", "chat"])("retries over %s", (apiMode) => {
  it("waits out a 429 for as long as Retry-After says, showing the wait, then succeeds", async () => {
    const t0 = Date.now();
    const r = runWithFake(fake, dir, { apiMode, prompt: `[scenario:retry-once] waits ${apiMode}`, client: { maxRetries: 2 }, ...ask });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    expect(result.finalMessage).toBe("Answered after the rate limit cleared.");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(r.activity.filter((a) => a.type === "retry")).toEqual([
      expect.objectContaining({ type: "retry", attempt: 1, maxRetries: 2, delayMs: 1000, status: 429, code: "model_rate_limited" }),
    ]);
  });

  it("backs off after a 503 without Retry-After", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: `[scenario:outage-once] backs off ${apiMode}`, client: { maxRetries: 1 }, ...ask });
    expect((await r.promise).status).toBe("succeeded");
    const retry = r.activity.find((a) => a.type === "retry");
    expect(retry).toMatchObject({ status: 503, code: "model_unavailable" });
    expect(retry?.type === "retry" && retry.delayMs).toBeGreaterThanOrEqual(800);
    expect(retry?.type === "retry" && retry.delayMs).toBeLessThanOrEqual(1200);
  });

  it("fails with the server's reason when retries are used up", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: `[scenario:retry-once] gives up ${apiMode}`, ...ask });
    const result = await r.promise;
    expect(result).toMatchObject({ status: "failed", error: { code: "model_rate_limited" } });
    expect(r.activity.filter((a) => a.type === "retry")).toEqual([]);
  });
});

describe("withRetries", () => {
  const rateLimited = (extra: { serverCode?: string; retryAfterMs?: number } = {}) => new ModelError("model_rate_limited", "slow down", 429, extra);

  it("reads retry-after-ms, retry-after seconds and HTTP dates", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "150" }))).toBe(150);
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(10_000).toUTCString() }), 7_000)).toBe(3000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped", () => {
    expect(backoffMs(1, () => 0.5)).toBe(1000);
    expect(backoffMs(3, () => 0.5)).toBe(4000);
    expect(backoffMs(20, () => 0.5)).toBe(30_000);
    expect(backoffMs(1, () => 0)).toBe(800);
  });

  it("does not retry an exhausted quota, a bad request, or a wait longer than allowed", async () => {
    const retries: RetryInfo[] = [];
    const fail = (err: ModelError) => withRetries(() => Promise.reject(err), { maxRetries: 3, onRetry: (i) => void retries.push(i), maxDelayMs: 5_000 });
    await expect(fail(rateLimited({ serverCode: "insufficient_quota" }))).rejects.toThrow(/slow down/);
    await expect(fail(new ModelError("model_bad_request", "bad"))).rejects.toThrow(/bad/);
    await expect(fail(rateLimited({ retryAfterMs: 60_000 }))).rejects.toThrow(/slow down/);
    expect(retries).toEqual([]);
  });

  it("does not retry once the failed call streamed to the log", async () => {
    let calls = 0;
    const p = withRetries(
      () => {
        calls++;
        return Promise.reject(rateLimited({ retryAfterMs: 1 }));
      },
      { maxRetries: 3, canRetry: () => false },
    );
    await expect(p).rejects.toThrow();
    expect(calls).toBe(1);
  });
});

describe.each<ApiMode>(["responses", "chat"])("stream caps over %s", (apiMode) => {
  it("cuts a runaway answer at the text cap and says so", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: "How does sum work?", client: { maxTextChars: 40 }, ...ask });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    expect(result.finalMessage).toMatch(/\n\n\[… cut: the model's answer went past 40 characters\]$/);
    const streamed = r.events.flatMap((e) => (e.type === "message_delta" ? [e.text] : [])).join("");
    expect(streamed.length).toBeLessThanOrEqual(40);
  });

  it("answers a tool call whose arguments went past the cap with an error instead of running it", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: "Make greet trim the name", client: { maxToolArgumentChars: 50 } });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    const outputs = toolOutputs(r.requests().at(-1)!);
    expect(outputs[0]).toMatch(/^error: the arguments of this update_plan call went past .* characters and were cut off/);
    expect(r.events.some((e) => e.type === "plan")).toBe(false);
    expect(readFileSync(path.join(dir, "src/greet.js"), "utf8")).toBe(readFileSync(path.join(WIDGETS, "src/greet.js"), "utf8"));
  });
});
