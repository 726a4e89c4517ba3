import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";

import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";

import { runAgent, type RunAgentOptions } from "./loop";
import { createModelClient } from "./model";
import type { ApiMode } from "./model/types";
import { createLocalExecutor } from "./testing/local-exec";
import type { AgentEvent } from "./types";
import { WorkspaceFs } from "./workspace-fs";

const WIDGETS = path.resolve(import.meta.dirname, "../../e2e/fixtures/repos/widgets");
const ORIGINAL_GREET = readFileSync(path.join(WIDGETS, "src/greet.js"), "utf8");
const ORIGINAL_SUM = readFileSync(path.join(WIDGETS, "src/sum.js"), "utf8");

let fake: FakeModel;
let dir: string;

beforeAll(async () => {
  fake = await startFakeModel({ textDelayMs: 2 });
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "patchbay-loop-"));
  cpSync(WIDGETS, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(apiMode: ApiMode, over: Partial<RunAgentOptions> & { prompt: string }, maxRetries = 0) {
  const events: AgentEvent[] = [];
  const controller = new AbortController();
  const mode = over.mode ?? "code";
  const promise = runAgent({
    model: createModelClient({ baseURL: fake.url, apiKey: "sk-test-secret-key-123456", model: "fake-codex", apiMode, timeoutMs: 10_000, maxRetries }),
    mode,
    exec: createLocalExecutor(dir),
    fs: mode === "code" ? new WorkspaceFs(dir) : null,
    workspaceDir: dir,
    limits: { maxSteps: 20, maxTokens: 1_000_000, commandTimeoutMs: 30_000 },
    signal: controller.signal,
    emit: (e) => {
      events.push(e);
    },
    ...over,
  });
  return { promise, events, controller };
}

describe.each<ApiMode>(["responses", "chat"])("runAgent over the %s API", (apiMode) => {
  it("runs the Code scenario: plans, reads, patches, tests and summarizes with citations", async () => {
    const { promise, events } = run(apiMode, { prompt: "Make greet trim the name" });
    const result = await promise;
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("succeeded");
    expect(readFileSync(path.join(dir, "src/greet.js"), "utf8")).toBe(ORIGINAL_GREET.replace("name + ", "name.trim() + "));
    expect(result.commands.map((c) => [c.argv.join(" "), c.exitCode, c.chunkId])).toEqual([
      ["cat src/greet.js", 0, "c1"],
      ["node test/run.js", 0, "c2"],
    ]);
    expect(result.finalMessage).toContain("## Summary");
    expect(result.finalMessage).toContain("【F:src/greet.js†L1-L3】");
    expect(result.finalMessage).toContain("## Testing");
    expect(result.finalMessage).toContain("【c2†L1-L1】");
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);

    const plans = events.flatMap((e) => (e.type === "plan" ? [e.plan] : []));
    expect(plans).toHaveLength(3);
    expect(plans.at(-1)?.every((p) => p.status === "completed")).toBe(true);
    expect(events.find((e) => e.type === "patch")).toEqual({ type: "patch", changed: [{ path: "src/greet.js", kind: "update" }], failures: [] });
    const testOutput = events.filter((e) => e.type === "output" && e.chunkId === "c2").map((e) => (e.type === "output" ? e.text : ""));
    expect(testOutput.join("")).toBe("all tests passed\n");
    expect(events).toContainEqual(
      expect.objectContaining({ type: "command_end", chunkId: "c2", commandId: "cmd_2", exitCode: 0, timedOut: false, truncated: false }),
    );
    // The final message is streamed in several deltas before the final event.
    const lastMessage = events.at(-1);
    expect(lastMessage).toEqual({ type: "message", text: result.finalMessage });
    const finalDeltas = events.slice(events.findLastIndex((e) => e.type === "usage") - 40).filter((e) => e.type === "message_delta");
    expect(finalDeltas.length).toBeGreaterThan(3);
    // Order of a command's events.
    const c1 = events.filter((e) => "chunkId" in e && e.chunkId === "c1").map((e) => e.type);
    expect(c1[0]).toBe("command_start");
    expect(c1.at(-1)).toBe("command_end");
  });

  it("runs the Ask scenario without changing files", async () => {
    const { promise, events } = run(apiMode, { mode: "ask", fs: null, prompt: "How does sum work?" });
    const result = await promise;
    expect(result.status).toBe("succeeded");
    expect(result.finalMessage).toContain("【F:src/sum.js†L1-L5】");
    expect(result.commands.map((c) => c.argv)).toEqual([["cat", "src/sum.js"]]);
    expect(readFileSync(path.join(dir, "src/sum.js"), "utf8")).toBe(ORIGINAL_SUM);
    expect(events.some((e) => e.type === "patch")).toBe(false);
  });

  it("continues a task with a follow-up turn", async () => {
    const { promise } = run(apiMode, {
      prompt: "Also make sum ignore non-numbers",
      priorTurns: [{ prompt: "Make greet trim the name", finalMessage: "## Summary\n- done\n\n## Testing\n- ok" }],
      firstChunk: 3,
    });
    const result = await promise;
    expect(result.status).toBe("succeeded");
    expect(readFileSync(path.join(dir, "src/sum.js"), "utf8")).toContain('typeof n === "number"');
    expect(result.commands).toEqual([expect.objectContaining({ argv: ["node", "test/run.js"], exitCode: 0, chunkId: "c3" })]);
    expect(result.finalMessage).toContain("【c3†L1-L1】");
  });

  it("fails with model_unavailable when the model server keeps failing", async () => {
    const { promise, events } = run(apiMode, { prompt: "[scenario:model-error] fix it" }, 1);
    const result = await promise;
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("model_unavailable");
    expect(events.at(-1)).toMatchObject({ type: "error", code: "model_unavailable" });
  });

  it("fails with model_auth on 401, without leaking the key", async () => {
    const { promise } = run(apiMode, { prompt: "[scenario:auth-error] fix it" });
    const result = await promise;
    expect(result.status).toBe("failed");
    expect(result.error).toEqual({ code: "model_auth", message: "the model server rejected the API key" });
  });

  it("stops at the step limit", async () => {
    const { promise } = run(apiMode, { prompt: "Make greet trim the name", limits: { maxSteps: 2, maxTokens: 1_000_000, commandTimeoutMs: 30_000 } });
    const result = await promise;
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("step_limit");
    expect(result.commands).toHaveLength(1);
  });

  it("stops at the token limit", async () => {
    const { promise } = run(apiMode, { prompt: "Make greet trim the name", limits: { maxSteps: 20, maxTokens: 50, commandTimeoutMs: 30_000 } });
    const result = await promise;
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("token_limit");
  });

  it("is cancelled quickly mid-command, killing the command", async () => {
    const { promise, events, controller } = run(apiMode, { prompt: "[scenario:slow] build it" });
    const t0 = Date.now();
    while (!events.some((e) => e.type === "output")) {
      if (Date.now() - t0 > 10_000) throw new Error("no output");
      await new Promise((r) => setTimeout(r, 20));
    }
    const abortedAt = Date.now();
    controller.abort();
    const result = await promise;
    expect(result.status).toBe("cancelled");
    expect(Date.now() - abortedAt).toBeLessThan(1500);
    expect(existsSync(path.join(dir, "NOTES.md"))).toBe(false);
    expect(events.some((e) => e.type === "error")).toBe(false);
  });
});

describe("runAgent", () => {
  it("is cancelled while waiting for the model", async () => {
    const { promise, controller } = run("responses", { prompt: "Make greet trim the name" });
    controller.abort();
    const result = await promise;
    expect(result.status).toBe("cancelled");
    expect(result.commands).toEqual([]);
  });

  it("fails when the sandbox itself fails", async () => {
    const { promise, events } = run("chat", {
      prompt: "How does sum work?",
      mode: "ask",
      fs: null,
      exec: async () => {
        throw new Error("sandbox unavailable: bwrap not found");
      },
    });
    const result = await promise;
    expect(result).toMatchObject({ status: "failed", error: { code: "agent_error", message: "sandbox unavailable: bwrap not found" } });
    expect(events.filter((e) => e.type === "command_end")).toHaveLength(1);
  });

  it("fails when the event sink fails", async () => {
    const { promise } = run("chat", {
      prompt: "How does sum work?",
      mode: "ask",
      fs: null,
      emit: () => {
        throw new Error("database is down");
      },
    });
    const result = await promise;
    expect(result).toMatchObject({ status: "failed", error: { code: "agent_error", message: "database is down" } });
  });

  it("answers the write attempt scenario in Ask mode (the sandbox is what makes it fail)", async () => {
    const { promise } = run("responses", { prompt: "[scenario:write-in-ask] what is here?", mode: "ask", fs: null });
    const result = await promise;
    expect(result.status).toBe("succeeded");
    expect(result.commands[0].argv).toEqual(["sh", "-c", "echo x > hacked.txt"]);
  });

  it("sends the model a truncated view of long output while logging all of it", async () => {
    const { promise, events } = run("chat", { prompt: "[scenario:many-lines] go", mode: "ask", fs: null });
    const result = await promise;
    expect(result.status).toBe("succeeded");
    const logged = events.filter((e) => e.type === "output").map((e) => (e.type === "output" ? e.text : "")).join("");
    expect(logged.split("\n").filter(Boolean)).toHaveLength(5000);
  });
});
