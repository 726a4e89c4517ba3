import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadScenarios, planResponse, selectScenario, type ChatLikeMessage } from "./scenarios";
import { DEFAULT_FIXTURES_DIR, startFakeModel, type FakeModel } from "./server";

const scenarios = loadScenarios(DEFAULT_FIXTURES_DIR);
const user = (content: string): ChatLikeMessage => ({ role: "user", content });
const tool = (content: string): ChatLikeMessage => ({ role: "tool", content });
const assistant = (content: string): ChatLikeMessage => ({ role: "assistant", content });
const toolCall: ChatLikeMessage = { role: "assistant", content: null, tool_calls: [{}] };

describe("scenario selection", () => {
  it("picks by marker in the first user message, else keyword, else the default", () => {
    expect(selectScenario(scenarios, [user("[scenario:slow] go")]).scenario.name).toBe("slow");
    expect(selectScenario(scenarios, [user("please make greet trim")]).scenario.name).toBe("code-greet");
    expect(selectScenario(scenarios, [user("refactor everything")]).scenario.name).toBe("code-greet");
    expect(selectScenario(scenarios, [user("How does sum work?")]).scenario.name).toBe("ask-sum");
    expect(selectScenario(scenarios, [user("[ask] tell me about the repo")]).scenario.name).toBe("ask-sum");
    expect(selectScenario(scenarios, [{ role: "system", content: "# Mode: Ask (read-only)" }, user("summarize the repo")]).scenario.name).toBe("ask-sum");
  });

  it("counts the tool results of the current turn as the step", () => {
    const msgs = [user("[scenario:slow] go"), toolCall, tool("chunk_id: c1\nexit_code: 0"), toolCall, tool("Applied:\nA NOTES.md")];
    expect(selectScenario(scenarios, msgs).step).toBe(2);
    const plan = planResponse(scenarios, msgs);
    expect(plan).toMatchObject({ kind: "text" });
    expect(plan.kind === "text" && plan.text).toContain("【c1†L38-L40】");
  });

  it("gives new conversations of a scenario with variants the next variant, and keeps each on its own", () => {
    const start = [user("[scenario:two-ways] trim the name")];
    const a = planResponse(scenarios, start, 0, 0);
    const b = planResponse(scenarios, start, 0, 1);
    expect(a.kind === "tools" && a.toolCalls[0].arguments).toContain("approach-a");
    expect(b.kind === "tools" && b.toolCalls[0].arguments).toContain("approach-b");
    // Later steps follow the variant the conversation started, whatever the count says now.
    const onB: ChatLikeMessage[] = [...start, { role: "assistant", content: null, tool_calls: [{ function: { name: "shell", arguments: (b.kind === "tools" && b.toolCalls[0].arguments) || "" } }] }, tool("chunk_id: c1")];
    const next = planResponse(scenarios, onB, 0, 0);
    expect(next.kind === "tools" && next.toolCalls[0].arguments).toContain("docs/greet.md");
  });

  it("plays the follow-up scenario after a final answer", () => {
    const msgs = [user("Make greet trim the name"), assistant("## Summary\n- done"), user("Also make sum ignore non-numbers")];
    const sel = selectScenario(scenarios, msgs);
    expect(sel.scenario.name).toBe("followup-sum");
    expect(sel.step).toBe(0);
    const later = [...msgs, toolCall, tool("Applied:\nM src/sum.js"), toolCall, tool("chunk_id: c9\nexit_code: 0\noutput:\nall tests passed")];
    const plan = planResponse(scenarios, later);
    expect(plan.kind === "text" && plan.text).toContain("【c9†L1-L1】");
  });

  it("answers errors for the error scenarios", () => {
    expect(planResponse(scenarios, [user("[scenario:model-error]")])).toMatchObject({ kind: "error", status: 500 });
    expect(planResponse(scenarios, [user("[scenario:auth-error]")])).toMatchObject({ kind: "error", status: 401 });
  });

  it("ends with text when the conversation runs past the script", () => {
    const msgs = [user("How does sum work?"), toolCall, tool("x"), toolCall, tool("y"), toolCall, tool("z")];
    expect(planResponse(scenarios, msgs).kind).toBe("text");
  });
});

describe("the fake model server", () => {
  let fake: FakeModel;
  beforeAll(async () => {
    fake = await startFakeModel();
  });
  afterAll(async () => {
    await fake?.close();
  });

  async function sse(pathname: string, body: unknown): Promise<{ at: number; data: string }[]> {
    const res = await fetch(`${fake.url}${pathname}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const t0 = Date.now();
    const events: { at: number; data: string }[] = [];
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        if (data) events.push({ at: Date.now() - t0, data });
      }
    }
    return events;
  }

  it("lists models", async () => {
    const res = await fetch(`${fake.url}/models`);
    const body = (await res.json()) as { data: unknown[] };
    expect(body.data.length).toBeGreaterThan(0);
  });

  it("streams a Responses function call with the real event sequence", async () => {
    const events = await sse("/responses", { model: "m", stream: true, input: [{ role: "user", content: "Make greet trim the name" }] });
    const types = events.filter((e) => e.data !== "[DONE]").map((e) => (JSON.parse(e.data) as { type: string }).type);
    expect(types[0]).toBe("response.created");
    for (const t of ["response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done"]) {
      expect(types).toContain(t);
    }
    const completed = JSON.parse(events.findLast((e) => e.data.includes("response.completed"))!.data) as {
      response: { usage: { input_tokens: number; output_tokens: number }; output: { type: string; name: string; arguments: string }[] };
    };
    expect(completed.response.usage.input_tokens).toBeGreaterThan(0);
    expect(completed.response.output[0]).toMatchObject({ type: "function_call", name: "update_plan" });
    expect(JSON.parse(completed.response.output[0].arguments).plan).toHaveLength(3);
  });

  it("streams text deltas as separate, spaced chunks", async () => {
    const events = await sse("/responses", {
      model: "m",
      stream: true,
      input: [{ role: "user", content: "How does sum work?" }, { type: "function_call", call_id: "x", name: "shell", arguments: "{}" }, { type: "function_call_output", call_id: "x", output: "chunk_id: c4\nexit_code: 0" }],
    });
    const deltas = events.filter((e) => e.data.includes('"response.output_text.delta"'));
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.at(-1)!.at - deltas[0].at).toBeGreaterThan(15 * (deltas.length - 1) * 0.8);
    const text = deltas.map((d) => (JSON.parse(d.data) as { delta: string }).delta).join("");
    expect(text).toContain("【c4†L1-L5】");
  });

  it("streams Chat Completions tool call deltas and a final usage chunk", async () => {
    const events = await sse("/chat/completions", {
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "How does sum work?" }],
    });
    const chunks = events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data) as OpenAI.ChatCompletionChunk);
    const call = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(call[0].function?.name).toBe("shell");
    expect(call.map((c) => c.function?.arguments ?? "").join("")).toBe('{"command":["cat","src/sum.js"]}');
    expect(chunks.at(-1)!.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(events.at(-1)!.data).toBe("[DONE]");
  });

  it("counts requests and works through the openai SDK", async () => {
    const before = fake.requests;
    const client = new OpenAI({ baseURL: fake.url, apiKey: "k", maxRetries: 0 });
    const res = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "How does sum work?" }] });
    expect(res.choices[0].message.tool_calls?.[0]).toMatchObject({ type: "function", function: { name: "shell" } });
    expect(fake.requests).toBe(before + 1);
    await expect(client.responses.create({ model: "m", input: "[scenario:auth-error] hi" })).rejects.toMatchObject({ status: 401 });
  });
});
