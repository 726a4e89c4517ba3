import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { FakeModel } from "@/e2e/fakes/model/server";

import { modelFamily } from "./model-family";
import type { ApiMode } from "./model/types";
import { freshWorkspace, offeredTools, removeWorkspace, runWithFake, startHarness, toolOutputs, WIDGETS } from "./testing/harness";
import { createLocalSessionExecutor } from "./testing/local-exec";

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

const EXEC_SURFACE = ["exec_command", "write_stdin", "apply_patch", "update_plan", "view_image"];
const SHELL_SURFACE = ["shell", "apply_patch", "update_plan"];

describe("model families", () => {
  it("gives current codex models the exec_command surface and earlier or unknown models shell", () => {
    for (const m of ["gpt-5-codex", "gpt-5.1-codex", "gpt-5.1-codex-max", "gpt-5.1-codex-mini", "gpt-5.2-codex", "gpt-5.2", "gpt-5.5", "gpt-6-sol", "codex-auto-review", "openai/gpt-5-codex"]) {
      expect([m, modelFamily(m).surface]).toEqual([m, "exec_command"]);
    }
    for (const m of ["gpt-5", "gpt-5-mini", "gpt-5.1", "o3", "o4-mini", "codex-mini-latest", "gpt-4.1", "gpt-4o", "gpt-oss-120b", "qwen3-coder", "llama3.1:8b", "fake-codex"]) {
      expect([m, modelFamily(m).surface]).toEqual([m, "shell"]);
    }
  });

  it("knows which models reason and how large their context window is", () => {
    expect(modelFamily("gpt-5-codex")).toEqual({ surface: "exec_command", reasoning: true, contextWindow: 272_000 });
    expect(modelFamily("o4-mini")).toMatchObject({ reasoning: true, contextWindow: 200_000 });
    expect(modelFamily("gpt-4.1")).toMatchObject({ reasoning: false });
    expect(modelFamily("my-local-model")).toEqual({ surface: "shell", reasoning: false, contextWindow: null });
  });
});

describe.each<ApiMode>(["responses", "chat"])("tool surfaces over %s", (apiMode) => {
  it("offers exec_command, write_stdin and view_image to gpt-5-codex, and shell to gpt-4.1", async () => {
    const codex = runWithFake(fake, dir, { apiMode, modelName: "gpt-5-codex", prompt: "[scenario:exec-session] build", mode: "ask", fs: null });
    await codex.promise;
    expect(offeredTools(codex.requests()[0])).toEqual(EXEC_SURFACE);
    expect(codex.requests()[0].body.instructions ?? JSON.stringify(codex.requests()[0].body.messages)).toContain("exec_command");
    const older = runWithFake(fake, dir, { apiMode, modelName: "gpt-4.1", prompt: "How does sum work?", mode: "ask", fs: null });
    expect((await older.promise).status).toBe("succeeded");
    expect(offeredTools(older.requests()[0])).toEqual(SHELL_SURFACE);
  });

  it("can force a surface", async () => {
    const r = runWithFake(fake, dir, { apiMode, toolSurface: "exec_command", prompt: "How does sum work?", mode: "ask", fs: null });
    await r.promise;
    expect(offeredTools(r.requests()[0])).toEqual(EXEC_SURFACE);
  });

  it("returns a session for a command still running after yield_time_ms, and write_stdin polls it to the end", async () => {
    const r = runWithFake(fake, dir, { apiMode, modelName: "gpt-5-codex", prompt: "[scenario:exec-session] build", mode: "ask", fs: null });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    const [first, second] = toolOutputs(r.requests().at(-1)!);
    expect(first).toMatch(/^chunk_id: c1\nsession_id: 1\nexit_code: none yet/);
    expect(second).toMatch(/^chunk_id: c1\nexit_code: 0\n/);
    // Together the two results hold the whole output once, the second continuing where the first stopped.
    const body = (out: string) => out.slice(out.indexOf("\n", out.search(/^output/m)) + 1);
    expect(body(first) + body(second)).toBe("tick 1\ntick 2\ntick 3\n");
    expect(result.commands).toEqual([expect.objectContaining({ argv: ["bash", "-lc", "for i in 1 2 3; do echo tick $i; sleep 0.4; done"], exitCode: 0, chunkId: "c1" })]);
    expect(r.events.filter((e) => e.type === "command_start")).toEqual([expect.objectContaining({ chunkId: "c1", sessionId: 1 })]);
    expect(r.events.filter((e) => e.type === "command_end")).toHaveLength(1);
    expect(result.finalMessage).toContain("【c1†L1-L3】");
  });

  it("types into a running command when the runner provides stdin", async () => {
    const r = runWithFake(fake, dir, {
      apiMode,
      modelName: "gpt-5-codex",
      prompt: "[scenario:exec-stdin] ask me",
      mode: "ask",
      fs: null,
      startCommand: createLocalSessionExecutor(dir),
    });
    expect((await r.promise).status).toBe("succeeded");
    const outputs = toolOutputs(r.requests().at(-1)!);
    expect(outputs[0]).toContain("session_id: 1");
    expect(outputs[1]).toMatch(/exit_code: 0[\s\S]*got: hello/);
    expect(r.activity).toContainEqual({ type: "command_input", commandId: "cmd_1", chunkId: "c1", text: "hello\n" });
  });

  it("says so when stdin is not connected (the one-shot sandbox exec)", async () => {
    const r = runWithFake(fake, dir, { apiMode, modelName: "gpt-5-codex", prompt: "[scenario:exec-stdin] ask me", mode: "ask", fs: null });
    expect((await r.promise).status).toBe("succeeded");
    const outputs = toolOutputs(r.requests().at(-1)!);
    // With stdin at EOF the command ends at once, so the second call finds it done.
    expect(outputs[0]).toMatch(/exit_code: 0[\s\S]*got: $/m);
    expect(outputs[1]).toBe("error: session 1 already finished with exit code 0, and its whole output was returned earlier; run a new command with exec_command");
  });

  it("stops commands still running when the run ends", async () => {
    const r = runWithFake(fake, dir, {
      apiMode,
      modelName: "gpt-5-codex",
      prompt: "[scenario:exec-session] build",
      mode: "ask",
      fs: null,
      limits: { maxSteps: 1, maxTokens: 1_000_000, commandTimeoutMs: 30_000 },
    });
    const result = await r.promise;
    expect(result.error?.code).toBe("step_limit");
    expect(r.events.filter((e) => e.type === "command_end")).toEqual([expect.objectContaining({ chunkId: "c1", exitCode: null })]);
  });

  it("applies patches sent through exec_command and shell (after cd) on the host, never in the sandbox", async () => {
    const r = runWithFake(fake, dir, { apiMode, modelName: "gpt-5-codex", prompt: "[scenario:exec-patch] trim" });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    expect(readFileSync(path.join(dir, "src/greet.js"), "utf8")).toBe(readFileSync(path.join(WIDGETS, "src/greet.js"), "utf8").replace("name + ", "name.trim() + "));
    expect(readFileSync(path.join(dir, "src/notes.txt"), "utf8")).toBe("patched from src/\n");
    expect(existsSync(path.join(dir, "notes.txt"))).toBe(false);
    expect(result.commands).toEqual([]);
    expect(r.events.filter((e) => e.type === "patch")).toEqual([
      { type: "patch", changed: [{ path: "src/greet.js", kind: "update" }], failures: [] },
      { type: "patch", changed: [{ path: "src/notes.txt", kind: "add" }], failures: [] },
    ]);
  });

  it("shows the model an image with view_image, after the tool results", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
    writeFileSync(path.join(dir, "shot.png"), png);
    const r = runWithFake(fake, dir, { apiMode, modelName: "gpt-5-codex", prompt: "[scenario:view-image] look", mode: "ask", fs: null });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    expect(result.finalMessage).toBe("The screenshot shows the page.");
    const last = JSON.stringify(r.requests().at(-1)!.body);
    expect(last).toContain(`data:image/png;base64,${png.toString("base64")}`);
    expect(toolOutputs(r.requests().at(-1)!)[0]).toMatch(/^Attached shot\.png \(image\/png/);
  });

  it("refuses a file that is not an image", async () => {
    writeFileSync(path.join(dir, "shot.png"), "not really a png");
    const r = runWithFake(fake, dir, { apiMode, modelName: "gpt-5-codex", prompt: "[scenario:view-image] look", mode: "ask", fs: null });
    await r.promise;
    expect(toolOutputs(r.requests().at(-1)!)[0]).toBe("error: shot.png is not a PNG, JPEG, GIF or WebP image");
  });
});
