import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";
import { runAgent } from "@/lib/agent/loop";
import { createModelClient } from "@/lib/agent/model";
import type { AgentEvent, ShellExecutor } from "@/lib/agent/types";
import { createBwrapSandbox, ensureSandboxUser, type Sandbox } from "@/lib/sandbox";

/**
 * exec_command sessions on the runner's real one-shot executor (a bubblewrap exec per command): a command keeps running
 * in its own sandboxed process while the agent goes on, is polled to the end, and nothing outlives the run.
 */
const hasBwrap = (() => {
  try {
    execFileSync("sh", ["-c", "command -v bwrap"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function sandboxedProcesses(marker: string): number {
  let n = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
      if (cmdline.includes(marker) && !/^State:\s+[ZX]/m.test(status)) n++;
    } catch {
      // gone
    }
  }
  return n;
}

describe.skipIf(!hasBwrap)("exec_command sessions in the bubblewrap sandbox", () => {
  let fake: FakeModel;
  let root: string;
  let workspace: string;
  let sandbox: Sandbox;

  beforeAll(async () => {
    const hostUser = await ensureSandboxUser();
    fake = await startFakeModel({ textDelayMs: 1 });
    root = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-agent-sbx-"));
    fs.chmodSync(root, 0o755);
    workspace = path.join(root, "work");
    fs.mkdirSync(workspace);
    fs.mkdirSync(path.join(root, "scratch"));
    execFileSync("chown", ["-R", `${hostUser.uid}:${hostUser.gid}`, workspace]);
    sandbox = await createBwrapSandbox({ workspaceDir: workspace, mode: "ro", network: "off", scratchParentDir: path.join(root, "scratch") });
  });

  afterAll(async () => {
    await sandbox?.destroy();
    await fake?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const run = (prompt: string, maxSteps = 20) => {
    const events: AgentEvent[] = [];
    const exec: ShellExecutor = (req) => sandbox.exec(req);
    const promise = runAgent({
      model: createModelClient({ baseURL: fake.url, apiKey: "k", model: "gpt-5-codex", apiMode: "responses", timeoutMs: 10_000, maxRetries: 0 }),
      mode: "ask",
      prompt,
      exec,
      fs: null,
      workspaceDir: workspace,
      limits: { maxSteps, maxTokens: 1_000_000, commandTimeoutMs: 30_000 },
      signal: new AbortController().signal,
      emit: (e) => void events.push(e),
    });
    return { promise, events };
  };

  it("polls a command that outlives its first tool call to the end", async () => {
    const { promise, events } = run("[scenario:exec-session] build");
    const result = await promise;
    expect(result.status).toBe("succeeded");
    expect(result.commands).toEqual([expect.objectContaining({ exitCode: 0, chunkId: "c1" })]);
    const logged = events.flatMap((e) => (e.type === "output" ? [e.text] : [])).join("");
    expect(logged).toBe("tick 1\ntick 2\ntick 3\n");
  });

  it("stops a command still running when the run ends, leaving no process behind", async () => {
    // One model call: exec_command starts the loop, then the run stops at its step limit.
    const { promise, events } = run("[scenario:exec-session] build", 1);
    const result = await promise;
    expect(result.error?.code).toBe("step_limit");
    expect(events.filter((e) => e.type === "command_end")).toEqual([expect.objectContaining({ chunkId: "c1", exitCode: null })]);
    expect(sandboxedProcesses("tick $i")).toBe(0);
  });
});
