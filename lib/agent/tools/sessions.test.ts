import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createLocalExecutor, createLocalSessionExecutor } from "../testing/local-exec";
import type { AgentEvent, CommandRecord, SessionExecutor } from "../types";
import type { ToolContext } from "./context";
import { executeToolCall } from "./index";
import { MAX_RUNNING_SESSIONS, oneShotSessions, SessionManager } from "./sessions";

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "patchbay-sessions-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function ctx(start?: SessionExecutor) {
  const events: AgentEvent[] = [];
  const commands: CommandRecord[] = [];
  let n = 0;
  const nextCommand = () => ({ commandId: `cmd_${++n}`, chunkId: `c${n}` });
  const signal = new AbortController().signal;
  const exec = createLocalExecutor(root);
  const sessions = new SessionManager({ start: start ?? oneShotSessions(exec), emit: (e) => void events.push(e), commands, nextCommand, timeoutMs: 20_000, signal });
  const c: ToolContext = { mode: "ask", exec, fs: null, commandTimeoutMs: 20_000, signal, emit: (e) => void events.push(e), nextCommand, commands, sessions };
  return { c, events, commands, sessions };
}

let id = 0;
const call = (name: string, args: unknown) => ({ id: `call_${++id}`, name, arguments: JSON.stringify(args) });

describe("exec_command sessions", () => {
  it("returns at once when the command ends before yield_time_ms", async () => {
    const { c, commands } = ctx();
    const t0 = Date.now();
    const out = await executeToolCall(call("exec_command", { cmd: "echo hi; echo err >&2; exit 3" }), c);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(out.output).toMatch(/^chunk_id: c1\nexit_code: 3\nwall_time: .*\noutput:\n/);
    expect(out.output).toContain("hi\n");
    expect(out.output).toContain("err\n");
    expect(out.ok).toBe(false);
    expect(commands).toEqual([expect.objectContaining({ argv: ["bash", "-lc", "echo hi; echo err >&2; exit 3"], exitCode: 3 })]);
  });

  it(`refuses a ${MAX_RUNNING_SESSIONS + 1}th running command, naming the sessions to stop, and Ctrl-C stops one`, async () => {
    const { c, sessions } = ctx();
    for (let i = 0; i < MAX_RUNNING_SESSIONS; i++) {
      const out = await executeToolCall(call("exec_command", { cmd: "sleep 20", yield_time_ms: 250 }), c);
      expect(out.output).toContain(`session_id: ${i + 1}`);
    }
    const refused = await executeToolCall(call("exec_command", { cmd: "true" }), c);
    expect(refused.output).toMatch(/^error: 8 commands are still running \(session_id 1, 2, 3, 4, 5, 6, 7, 8\)/);
    const stopped = await executeToolCall(call("write_stdin", { session_id: 3, chars: "\u0003", yield_time_ms: 2000 }), c);
    expect(stopped.output).toMatch(/exit_code: cancelled/);
    expect(stopped.output).toContain("note: the command was stopped (Ctrl-C)");
    expect(sessions.running()).toHaveLength(MAX_RUNNING_SESSIONS - 1);
    await sessions.closeAll();
    expect(sessions.running()).toHaveLength(0);
  });

  it("tells the model when typed input cannot reach the command", async () => {
    const { c, sessions } = ctx();
    await executeToolCall(call("exec_command", { cmd: "sleep 20", yield_time_ms: 250 }), c);
    const out = await executeToolCall(call("write_stdin", { session_id: 1, chars: "y\n", yield_time_ms: 250 }), c);
    expect(out.output).toContain("session_id: 1");
    expect(out.output).toMatch(/note: the input was not delivered: this sandbox runs commands without a connected stdin/);
    await sessions.closeAll();
  });

  it("writes to stdin with a session executor, and notes a terminal it could not give", async () => {
    const { c, sessions } = ctx(createLocalSessionExecutor(root));
    const first = await executeToolCall(call("exec_command", { cmd: "read -r a; echo \"a=$a\"; read -r b; echo \"b=$b\"", yield_time_ms: 250, tty: true }), c);
    expect(first.output).toContain("session_id: 1");
    expect(first.output).toContain("note: no terminal is available here");
    const second = await executeToolCall(call("write_stdin", { session_id: 1, chars: "one\n", yield_time_ms: 500 }), c);
    expect(second.output).toMatch(/session_id: 1[\s\S]*output:\na=one\n$/);
    const third = await executeToolCall(call("write_stdin", { session_id: 1, chars: "two\n", yield_time_ms: 3000 }), c);
    expect(third.output).toMatch(/exit_code: 0[\s\S]*output \(continues at line 2 of c1\):\nb=two\n$/);
    await sessions.closeAll();
  });

  it("logs every output chunk under the session's chunk and closes it exactly once, even when the run ends first", async () => {
    const { c, events, sessions } = ctx();
    await executeToolCall(call("exec_command", { cmd: "echo started; sleep 20", yield_time_ms: 500 }), c);
    await sessions.closeAll();
    expect(events.filter((e) => e.type === "output").map((e) => e.type === "output" && e.text).join("")).toBe("started\n");
    expect(events.filter((e) => e.type === "command_end")).toEqual([expect.objectContaining({ chunkId: "c1", exitCode: null })]);
  });

  it("rejects bad arguments with an error result", async () => {
    const { c } = ctx();
    expect((await executeToolCall(call("exec_command", { cmd: "" }), c)).output).toMatch(/^error: invalid exec_command call: cmd must be/);
    expect((await executeToolCall(call("write_stdin", { session_id: "1" }), c)).output).toMatch(/session_id must be the number/);
    expect((await executeToolCall(call("write_stdin", { session_id: 9 }), c)).output).toBe(
      "error: there is no session 9 (no command is running); it may have finished and been reported already",
    );
  });
});
