import { describe, expect, it } from "vitest";

import { executeToolCall, normalizeWorkdir, truncateForModel, type ToolContext } from "./tools";
import type { AgentEvent, PatchFs, ShellExecutor } from "./types";

function ctx(over: Partial<ToolContext> = {}) {
  const events: AgentEvent[] = [];
  const calls: Parameters<ShellExecutor>[0][] = [];
  let n = 0;
  const files: Record<string, string> = { "a.txt": "a\n" };
  const fs: PatchFs = {
    read: async (p) => files[p] ?? null,
    write: async (p, c) => void (files[p] = c),
    remove: async (p) => void delete files[p],
  };
  const c: ToolContext = {
    mode: "code",
    exec: async (req) => {
      calls.push(req);
      req.onOutput?.("stdout", "out line\n");
      req.onOutput?.("stderr", "err line\n");
      return { exitCode: 3, timedOut: false, cancelled: false, durationMs: 1234, stdout: "out line\n", stderr: "err line\n", truncated: false };
    },
    fs,
    commandTimeoutMs: 60_000,
    signal: new AbortController().signal,
    emit: (e) => void events.push(e),
    nextCommand: () => ({ commandId: `cmd_${++n}`, chunkId: `c${n}` }),
    commands: [],
    ...over,
  };
  return { c, events, calls, files };
}

const call = (name: string, args: unknown) => ({ id: "call_1", name, arguments: typeof args === "string" ? args : JSON.stringify(args) });

describe("shell", () => {
  it("runs argv, caps the timeout, and formats the result with the chunk id", async () => {
    const { c, events, calls } = ctx();
    const out = await executeToolCall(call("shell", { command: ["ls", "-la"], workdir: "/workspace/src", timeout_ms: 999_999 }), c);
    expect(calls[0]).toMatchObject({ argv: ["ls", "-la"], cwd: "src", timeoutMs: 60_000 });
    expect(out.ok).toBe(false);
    expect(out.output).toBe("chunk_id: c1\nexit_code: 3\nduration: 1.2 s\noutput:\nout line\nerr line\n");
    expect(events.map((e) => e.type)).toEqual(["command_start", "output", "output", "command_end"]);
    expect(c.commands).toEqual([{ argv: ["ls", "-la"], exitCode: 3, durationMs: 1234, chunkId: "c1" }]);
  });

  it("accepts a command string as bash -lc", async () => {
    const { c, calls } = ctx();
    await executeToolCall(call("shell", { command: "ls | wc -l" }), c);
    expect(calls[0].argv).toEqual(["bash", "-lc", "ls | wc -l"]);
  });

  it("rejects bad input with an error result", async () => {
    const { c, calls } = ctx();
    expect((await executeToolCall(call("shell", { command: [] }), c)).output).toMatch(/^error: invalid shell call: command must be/);
    expect((await executeToolCall(call("shell", { command: ["ls"], workdir: "../.." }), c)).output).toMatch(/escapes the workspace/);
    expect((await executeToolCall(call("shell", { command: ["ls"], workdir: "/etc" }), c)).output).toMatch(/outside the workspace/);
    expect((await executeToolCall(call("shell", "{not json"), c)).output).toMatch(/not valid JSON/);
    expect(calls).toHaveLength(0);
  });

  it("reports a timeout", async () => {
    const { c } = ctx({
      exec: async () => ({ exitCode: null, timedOut: true, cancelled: false, durationMs: 500, stdout: "", stderr: "", truncated: false }),
    });
    const out = await executeToolCall(call("shell", { command: ["sleep", "9"], timeout_ms: 500 }), c);
    expect(out.output).toContain("exit_code: timed out after 500 ms");
  });

  it("routes an apply_patch sent through the shell to the patch tool", async () => {
    const { c, files, calls } = ctx();
    const patch = "*** Begin Patch\n*** Add File: b.txt\n+b\n*** End Patch";
    await executeToolCall(call("shell", { command: ["apply_patch", patch] }), c);
    await executeToolCall(call("shell", { command: ["bash", "-lc", `apply_patch <<'EOF'\n${patch.replace("b.txt", "c.txt")}\nEOF`] }), c);
    expect(calls).toHaveLength(0);
    expect(files["b.txt"]).toBe("b\n");
    expect(files["c.txt"]).toBe("b\n");
  });
});

describe("apply_patch", () => {
  it("applies a patch and emits a patch event", async () => {
    const { c, events, files } = ctx();
    const out = await executeToolCall(call("apply_patch", { input: "*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+A\n*** End Patch" }), c);
    expect(out).toEqual({ output: "Applied:\nM a.txt", ok: true });
    expect(files["a.txt"]).toBe("A\n");
    expect(events).toEqual([{ type: "patch", changed: [{ path: "a.txt", kind: "update" }], failures: [] }]);
  });

  it("reports failures to the model", async () => {
    const { c } = ctx();
    const out = await executeToolCall(call("apply_patch", { input: "" }), c);
    expect(out).toEqual({ output: "The patch was not applied:\nempty patch", ok: false });
  });

  it("is refused in Ask mode", async () => {
    const { c, files } = ctx({ mode: "ask", fs: null });
    const out = await executeToolCall(call("apply_patch", { input: "*** Begin Patch\n*** Add File: x\n+x\n*** End Patch" }), c);
    expect(out.output).toMatch(/read-only task/);
    expect(files.x).toBeUndefined();
  });
});

describe("update_plan", () => {
  it("emits the plan", async () => {
    const { c, events } = ctx();
    const plan = [
      { step: "a", status: "completed" },
      { step: "b", status: "in_progress" },
    ];
    expect((await executeToolCall(call("update_plan", { explanation: "why", plan }), c)).output).toBe("Plan updated.");
    expect(events).toEqual([{ type: "plan", explanation: "why", plan }]);
  });

  it("refuses two steps in progress or a bad status", async () => {
    const { c, events } = ctx();
    const two = [
      { step: "a", status: "in_progress" },
      { step: "b", status: "in_progress" },
    ];
    expect((await executeToolCall(call("update_plan", { plan: two }), c)).output).toMatch(/at most one step can be in_progress/);
    expect((await executeToolCall(call("update_plan", { plan: [{ step: "a", status: "done" }] }), c)).output).toMatch(/status/);
    expect(events).toEqual([]);
  });
});

it("answers an unknown tool with an error result", async () => {
  const { c } = ctx();
  expect((await executeToolCall(call("browser", {}), c)).output).toBe('error: unknown tool "browser"; the available tools are shell, apply_patch, update_plan');
});

describe("truncateForModel", () => {
  it("keeps short text", () => {
    expect(truncateForModel("abc\n", 100)).toBe("abc\n");
  });
  it("keeps head and tail at line boundaries with a marker", () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
    const out = truncateForModel(text, 16 * 1024);
    expect(Buffer.byteLength(out)).toBeLessThan(16 * 1024 + 100);
    expect(out.startsWith("line 1\nline 2\n")).toBe(true);
    expect(out.endsWith("line 4999\nline 5000\n")).toBe(true);
    const m = /… (\d+) bytes omitted \((\d+) lines\) …/.exec(out);
    expect(m).not.toBeNull();
    const headLines = out.slice(0, m!.index).split("\n").length - 1;
    const tailLines = out.slice(m!.index).split("\n").length - 2;
    expect(headLines + Number(m![2]) + tailLines).toBe(5000);
  });
  it("cuts a single huge line", () => {
    const out = truncateForModel("é".repeat(20_000), 1000);
    expect(out).toMatch(/bytes omitted/);
    expect(out).not.toContain("\uFFFD");
  });
});

describe("normalizeWorkdir", () => {
  it("maps the workspace paths", () => {
    expect(normalizeWorkdir(undefined)).toBeUndefined();
    expect(normalizeWorkdir("/workspace")).toBeUndefined();
    expect(normalizeWorkdir("./src/")).toBe("src");
    expect(normalizeWorkdir("/workspace/a/b")).toBe("a/b");
  });
});
