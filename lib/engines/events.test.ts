import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentActivity, AgentEvent } from "@/lib/agent/types";
import { ClaudeEventMapper } from "./claude-events";
import { codexArgv, CodexEventMapper } from "./codex-events";
import { JsonLines } from "./cli";

/**
 * The event mappers on what the real CLIs printed: each fixture is the stdout of Codex CLI 0.171.0
 * (`codex exec --json`) or Claude Code 2.1.332 (`claude -p --output-format stream-json --verbose`), run in a
 * bubblewrap sandbox with the checkout at /workspace against the fake model's scenarios (codex-greet,
 * claude-greet, engine-fail, bad-request).
 */

const fixture = (name: string) =>
  fs
    .readFileSync(path.join(import.meta.dirname, "fixtures", `${name}.jsonl`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function sinks() {
  const events: AgentEvent[] = [];
  const activity: AgentActivity[] = [];
  const notes: string[] = [];
  return { events, activity, notes, sinks: { emit: (e: AgentEvent) => void events.push(e), emitActivity: (a: AgentActivity) => void activity.push(a), note: (t: string) => void notes.push(t) } };
}

async function feed(mapper: { handle(e: Record<string, unknown>): Promise<void> }, name: string) {
  for (const e of fixture(name)) await mapper.handle(e);
}

describe("Codex CLI's JSONL", () => {
  it("maps a Code turn: messages, two commands c1 and c2 with their output and exit codes, a patch, the session", async () => {
    const s = sinks();
    const m = new CodexEventMapper(s.sinks, 1, () => 1000);
    await feed(m, "codex-greet");
    expect(m.session).toBe("01a23159-e7f8-7100-82c0-b6addaeec421");
    expect(m.turnCompleted).toBe(true);
    expect(m.failure).toBeNull();
    expect(s.events.map((e) => e.type)).toEqual([
      "message_delta",
      "command_start",
      "output",
      "command_end",
      "patch",
      "command_start",
      "output",
      "command_end",
      "message_delta",
    ]);
    expect(s.events[1]).toEqual({ type: "command_start", commandId: "cmd_1", chunkId: "c1", argv: ["bash", "-lc", "cat src/greet.js"], cwd: "" });
    expect(s.events[2]).toMatchObject({ type: "output", chunkId: "c1", stream: "stdout", text: expect.stringContaining('return "Hello, " + name + "!";') });
    expect(s.events[3]).toMatchObject({ type: "command_end", chunkId: "c1", exitCode: 0 });
    expect(s.events[4]).toEqual({ type: "patch", changed: [{ path: "src/greet.js", kind: "update" }], failures: [] });
    expect(s.events[6]).toMatchObject({ chunkId: "c2", text: "all tests passed\n" });
    expect(m.finalMessage).toMatch(/^## Summary[\s\S]*【c2†L1-L1】/);
    expect(m.commands.map((c) => c.chunkId)).toEqual(["c1", "c2"]);
    expect(m.usage.inputTokens).toBeGreaterThan(0);
    // Codex's warning about the unknown model is a note, not a failure.
    expect(s.notes.join("")).toContain("Model metadata for `fake-codex` not found");
  });

  it("continues the attempt's chunk numbering in a follow-up turn", async () => {
    const s = sinks();
    const m = new CodexEventMapper(s.sinks, 7);
    await feed(m, "codex-greet");
    expect(m.commands.map((c) => c.chunkId)).toEqual(["c7", "c8"]);
  });

  it("keeps a failing command's exit code and output", async () => {
    const s = sinks();
    const m = new CodexEventMapper(s.sinks, 1);
    await feed(m, "codex-fail");
    expect(s.events.find((e) => e.type === "command_end")).toMatchObject({ exitCode: 3 });
    expect(s.events.find((e) => e.type === "output")).toMatchObject({ text: "checking\n" });
    expect(m.failure).toBeNull();
  });

  it("reports a turn the model refused as the engine's failure, with the provider's words", async () => {
    const s = sinks();
    const m = new CodexEventMapper(s.sinks, 1);
    await feed(m, "codex-refused");
    expect(m.turnCompleted).toBe(false);
    expect(m.failure).toEqual({ code: "engine_failed", message: "Codex CLI: The model `fake-codex` does not exist or you do not have access to it." });
  });

  it("maps plans, reasoning, deleted and added files, and closes commands a Stop left open", async () => {
    const s = sinks();
    const m = new CodexEventMapper(s.sinks, 1);
    await m.handle({ type: "item.started", item: { id: "t", type: "todo_list", items: [{ text: "Read", completed: true }, { text: "Fix", completed: false }, { text: "Test", completed: false }] } });
    await m.handle({ type: "item.updated", item: { id: "t", type: "todo_list", items: [{ text: "Read", completed: true }, { text: "Fix", completed: false }, { text: "Test", completed: false }] } });
    await m.handle({ type: "item.completed", item: { id: "r", type: "reasoning", text: "**Looking** at greet" } });
    await m.handle({ type: "item.completed", item: { id: "f", type: "file_change", status: "completed", changes: [{ path: "/workspace/a.txt", kind: "add" }, { path: "/workspace/b.txt", kind: "delete" }] } });
    await m.handle({ type: "item.started", item: { id: "x", type: "command_execution", command: "/usr/bin/bash -lc 'sleep 100'", aggregated_output: "", exit_code: null } });
    await m.closeOpen();
    expect(s.events.filter((e) => e.type === "plan")).toEqual([
      { type: "plan", plan: [{ step: "Read", status: "completed" }, { step: "Fix", status: "in_progress" }, { step: "Test", status: "pending" }] },
    ]);
    expect(s.activity).toEqual([{ type: "reasoning", text: "**Looking** at greet" }]);
    expect(s.events.find((e) => e.type === "patch")).toEqual({ type: "patch", changed: [{ path: "a.txt", kind: "add" }, { path: "b.txt", kind: "delete" }], failures: [] });
    expect(s.events.at(-1)).toMatchObject({ type: "command_end", chunkId: "c1", exitCode: null });
  });

  it("reads the argv a person recognises out of Codex's shell wrapper", () => {
    expect(codexArgv("/usr/bin/bash -lc 'node test/run.js'")).toEqual(["bash", "-lc", "node test/run.js"]);
    expect(codexArgv("/bin/bash -lc 'echo '\\''hi'\\'''")).toEqual(["bash", "-lc", "echo 'hi'"]);
    expect(codexArgv(["git", "status"])).toEqual(["git", "status"]);
    expect(codexArgv("ls -la")).toEqual(["ls -la"]);
  });
});

describe("Claude Code's stream-json", () => {
  it("maps a Code turn: Bash commands c1 and c2, Read as a note, Edit as a patch, the session and the answer", async () => {
    const s = sinks();
    const m = new ClaudeEventMapper(s.sinks, 1, () => 1000);
    await feed(m, "claude-greet");
    expect(m.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.gotResult).toBe(true);
    expect(m.failure).toBeNull();
    expect(s.events.map((e) => e.type)).toEqual([
      "message_delta",
      "command_start",
      "output",
      "command_end",
      "patch",
      "command_start",
      "output",
      "command_end",
      "message_delta",
    ]);
    expect(s.events[1]).toEqual({ type: "command_start", commandId: "cmd_1", chunkId: "c1", argv: ["bash", "-c", "cat src/greet.js"], cwd: "" });
    expect(s.events[3]).toMatchObject({ chunkId: "c1", exitCode: 0 });
    expect(s.events[4]).toEqual({ type: "patch", changed: [{ path: "src/greet.js", kind: "update" }], failures: [] });
    expect(s.events[6]).toMatchObject({ chunkId: "c2", stream: "stdout", text: "all tests passed\n" });
    expect(s.notes).toEqual([expect.stringMatching(/^Claude Code 2\.1\.332 · fake-claude/), "Read src/greet.js\n"]);
    expect(m.answer).toMatch(/^## Summary[\s\S]*【c2†L1-L1】/);
    expect(m.usage.inputTokens).toBeGreaterThan(0);
  });

  it("keeps a failing command's exit code and output, and an unknown tool as a note", async () => {
    const s = sinks();
    const m = new ClaudeEventMapper(s.sinks, 1);
    await feed(m, "claude-fail");
    const starts = s.events.filter((e) => e.type === "command_start");
    expect(starts).toHaveLength(1);
    expect(s.events.find((e) => e.type === "command_end")).toMatchObject({ chunkId: "c1", exitCode: 3 });
    expect(s.events.find((e) => e.type === "output")).toMatchObject({ text: "checking\n" });
    expect(s.notes).toContain("exec_command\n");
    expect(m.answer).toBe("The check failed with exit code 3.");
  });

  it("reports a refused model call as the engine's failure", async () => {
    const s = sinks();
    const m = new ClaudeEventMapper(s.sinks, 1);
    await feed(m, "claude-refused");
    expect(m.failure?.code).toBe("engine_failed");
    expect(m.failure?.message).toMatch(/^Claude Code: There's an issue with the selected model \(fake-claude\)/);
  });

  it("maps TodoWrite to the plan, thinking to reasoning, Write of a new file to an added file, a failed edit to a failure", async () => {
    const s = sinks();
    const m = new ClaudeEventMapper(s.sinks, 1);
    await m.handle({
      type: "assistant",
      message: {
        content: [
          { type: "thinking", thinking: "Plan first." },
          { type: "tool_use", id: "t1", name: "TodoWrite", input: { todos: [{ content: "Fix", status: "in_progress", activeForm: "Fixing" }, { content: "Test", status: "pending" }] } },
          { type: "tool_use", id: "w1", name: "Write", input: { file_path: "/workspace/NOTES.md", content: "x" } },
          { type: "tool_use", id: "e1", name: "Edit", input: { file_path: "/workspace/src/a.js", old_string: "a", new_string: "b" } },
        ],
      },
    });
    await m.handle({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "Todos have been modified successfully." }] } });
    await m.handle({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "w1", content: "File created" }] }, tool_use_result: { type: "create", filePath: "/workspace/NOTES.md" } });
    await m.handle({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "e1", is_error: true, content: "<tool_use_error>String to replace not found in file.</tool_use_error>" }] } });
    expect(s.activity).toEqual([{ type: "reasoning", text: "Plan first." }]);
    expect(s.events).toEqual([
      { type: "plan", plan: [{ step: "Fix", status: "in_progress" }, { step: "Test", status: "pending" }] },
      { type: "patch", changed: [{ path: "NOTES.md", kind: "add" }], failures: [] },
      { type: "patch", changed: [], failures: [{ path: "src/a.js", message: "String to replace not found in file." }] },
    ]);
  });
});

describe("JSON lines", () => {
  it("parses lines split across chunks, in order, and keeps what was not JSON", async () => {
    const seen: unknown[] = [];
    const lines = new JsonLines(async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      seen.push(e);
    });
    const done = new Promise((r) => lines.on("finish", r));
    lines.write(Buffer.from('{"a":1}\n{"b":'));
    lines.write(Buffer.from('2}\nnot json\n{"c":"é'));
    lines.end(Buffer.from('"}'));
    await done;
    expect(seen).toEqual([{ a: 1 }, { b: 2 }, { c: "é" }]);
    expect(lines.stray).toEqual(["not json"]);
  });
});
