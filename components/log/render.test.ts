import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { LogView } from "./log-view";
import type { TaskEventDTO } from "./types";

function events(): TaskEventDTO[] {
  const list: Array<Pick<TaskEventDTO, "type" | "payload">> = [
    { type: "status", payload: { status: "running" } },
    { type: "log", payload: { chunkId: "setup", stream: "system", text: "Checked out acme/app@main\n" } },
    { type: "plan", payload: { explanation: "Fix greeting", plan: [{ step: "Read code", status: "completed" }, { step: "Patch", status: "in_progress" }] } },
    { type: "message_delta", payload: { text: "Running the tests." } },
    { type: "command", payload: { phase: "start", commandId: "cmd_1", chunkId: "c1", argv: ["bash", "-lc", "npm test"], cwd: "" } },
    { type: "log", payload: { chunkId: "c1", stream: "stdout", text: "\x1b[32m✓ greets\x1b[0m\n<script>alert(1)</script>\n" } },
    { type: "log", payload: { chunkId: "c1", stream: "stderr", text: "warn: slow\n" } },
    { type: "command", payload: { phase: "end", commandId: "cmd_1", chunkId: "c1", exitCode: 1, durationMs: 2100, timedOut: false, truncated: true } },
    { type: "patch", payload: { changed: [{ path: "src/greet.js", kind: "update" }], failures: [] } },
    { type: "error", payload: { code: "step_limit", message: "the agent did not finish" } },
  ];
  return list.map((e, i) => ({ ...e, id: i + 1, seq: i + 1, attemptId: "a1", turn: 1, createdAt: "2024-01-01T00:00:00Z" }));
}

describe("LogView (server render)", () => {
  it("renders commands, coloured output as spans, plan, patch and error without injecting HTML", () => {
    const html = renderToString(createElement(LogView, { events: events(), live: false, focus: { chunkId: "c1", lines: [2, 2] } }));
    expect(html).toContain('data-chunk-id="c1"');
    expect(html).toContain("$ bash -lc &#x27;npm test&#x27;");
    expect(html).toContain("exit 1");
    expect(html).toContain("output truncated");
    expect(html).toContain("color:#2f9e44");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("Edited");
    expect(html).toContain("step_limit");
    expect(html).toContain("Read code");
    expect(html.match(/data-testid="log-line"/g)?.length).toBe(4);
    expect(html).toMatch(/data-line-of="c1" data-line="2"[^>]*data-highlighted="true"/);
  });

  it("renders only a window of a 100,000-line log", () => {
    const many: TaskEventDTO[] = [
      { id: 1, seq: 1, attemptId: "a1", turn: 1, createdAt: "", type: "command", payload: { phase: "start", chunkId: "c1", argv: ["yes"] } },
      { id: 2, seq: 2, attemptId: "a1", turn: 1, createdAt: "", type: "log", payload: { chunkId: "c1", stream: "stdout", text: "y\n".repeat(100_000) } },
    ];
    const html = renderToString(createElement(LogView, { events: many, live: true }));
    const rows = html.match(/data-testid="log-line"/g)?.length ?? 0;
    expect(rows).toBeGreaterThan(10);
    expect(rows).toBeLessThan(200);
  });

  it("shows a waiting state before any event", () => {
    expect(renderToString(createElement(LogView, { events: [], live: true }))).toContain("Waiting for the agent");
  });
});
