import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { LogModel, type ModelItem } from "./log-model";
import { ModelRow } from "./model-row";
import type { TaskEventDTO } from "./types";

const ev = (seq: number, payload: Record<string, unknown>): TaskEventDTO => ({ id: seq, attemptId: "a1", seq, turn: 1, type: "model", payload, createdAt: "2024-01-01T00:00:00Z" });

describe("model gateway rows in the log", () => {
  it("shows each call's model and tokens, a refusal with its reason, and the phase's summary", () => {
    const m = new LogModel();
    m.ingest([
      ev(1, { kind: "call", method: "POST", path: "/v1/responses", status: 200, model: "gpt-5-codex", inputTokens: 5400, outputTokens: 37, cachedInputTokens: 5000, reasoningTokens: 0, durationMs: 820, totalTokens: 5437 }),
      ev(2, { kind: "refused", method: "POST", path: "/v1/responses", reason: "budget", message: "Patchbay: this attempt used its token budget (5437 of 5000 tokens, AGENT_MAX_TOKENS); no further model calls are allowed." }),
      ev(3, { kind: "summary", calls: 1, refused: 1, inputTokens: 5400, outputTokens: 37, cachedInputTokens: 5000, reasoningTokens: 0 }),
    ]);
    const items = m.items.filter((i): i is ModelItem => i.kind === "model");
    expect(items.map((i) => i.verdict)).toEqual(["call", "refused", "summary"]);
    const html = items.map((item) => renderToString(createElement(ModelRow, { item }))).join("\n").replace(/<!-- -->/g, "");
    expect(html).toContain("gpt-5-codex");
    expect(html).toContain("5,400 in (5,000 cached) · 37 out · 820 ms");
    expect(html).toMatch(/role="note"[^>]*data-verdict="refused"/);
    expect(html).toContain("AGENT_MAX_TOKENS");
    expect(html).toContain("1 call, 1 refused · 5,400 tokens in");
  });
});
