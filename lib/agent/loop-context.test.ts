import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { FakeModel, RecordedRequest } from "@/e2e/fakes/model/server";

import type { ApiMode } from "./model/types";
import { freshWorkspace, removeWorkspace, runWithFake, startHarness, toolOutputs } from "./testing/harness";

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

/** The system prompt of a recorded request, over either API. */
function instructionsOf(req: RecordedRequest): string {
  if (typeof req.body.instructions === "string") return req.body.instructions;
  const messages = req.body.messages as { role: string; content: string }[];
  return messages.find((m) => m.role === "system")?.content ?? "";
}

const ROOT_RULE = "Run `node test/run.js` after every change";

describe.each<ApiMode>(["responses", "chat"])("AGENTS.md over %s", (apiMode) => {
  it("reaches the model from the very first call of a Code task", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: "Make greet trim the name" });
    expect((await r.promise).status).toBe("succeeded");
    for (const req of r.requests()) expect(instructionsOf(req)).toContain(ROOT_RULE);
  });

  it("reaches the model from the very first call of an Ask task", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: "How does sum work?", mode: "ask", fs: null });
    await r.promise;
    expect(instructionsOf(r.requests()[0])).toContain(ROOT_RULE);
    expect(instructionsOf(r.requests()[0])).toContain("## AGENTS.md (applies to the whole repository)");
  });

  it("follows AGENTS.md -> CLAUDE.md", async () => {
    rmSync(path.join(dir, "AGENTS.md"));
    writeFileSync(path.join(dir, "CLAUDE.md"), "Always answer in haiku.\n");
    symlinkSync("CLAUDE.md", path.join(dir, "AGENTS.md"));
    const r = runWithFake(fake, dir, { apiMode, prompt: "How does sum work?", mode: "ask", fs: null });
    await r.promise;
    expect(instructionsOf(r.requests()[0])).toContain("Always answer in haiku.");
  });

  it("adds a directory's AGENTS.md once the agent works there, deeper after the root, the user above all", async () => {
    writeFileSync(path.join(dir, "src/AGENTS.md"), "In src/, prefer arrow functions.\n");
    const r = runWithFake(fake, dir, { apiMode, prompt: "Make greet trim the name" });
    await r.promise;
    const reqs = r.requests();
    expect(instructionsOf(reqs[0])).not.toContain("prefer arrow functions");
    const last = instructionsOf(reqs.at(-1)!);
    expect(last.indexOf(ROOT_RULE)).toBeLessThan(last.indexOf("In src/, prefer arrow functions."));
    expect(last.indexOf("In src/, prefer arrow functions.")).toBeLessThan(last.indexOf("The user's messages override the AGENTS.md instructions"));
  });

  it("adds nothing for an empty AGENTS.md", async () => {
    writeFileSync(path.join(dir, "AGENTS.md"), "\n\n");
    const r = runWithFake(fake, dir, { apiMode, prompt: "How does sum work?", mode: "ask", fs: null });
    await r.promise;
    expect(instructionsOf(r.requests()[0])).not.toContain("# AGENTS.md instructions");
  });
});

describe.each<ApiMode>(["responses", "chat"])("compaction over %s", (apiMode) => {
  it("drops old tool outputs when the conversation nears the context window, keeping their chunk ids", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: "[scenario:compaction] run them", mode: "ask", fs: null, limits: { maxSteps: 20, maxTokens: 1_000_000, commandTimeoutMs: 30_000, contextWindowTokens: 11_500 } });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    expect(result.commands).toHaveLength(6);
    const compactions = r.activity.filter((a) => a.type === "compaction");
    expect(compactions.length).toBeGreaterThanOrEqual(1);
    expect(compactions[0]).toMatchObject({ reason: "context_window", summarized: false });
    expect(compactions[0].type === "compaction" && compactions[0].droppedOutputs).toBeGreaterThan(0);
    expect(compactions[0].type === "compaction" && compactions[0].tokensAfter).toBeLessThan(compactions[0].type === "compaction" ? compactions[0].tokensBefore : 0);
    const outputs = toolOutputs(r.requests().at(-1)!);
    expect(outputs[0]).toMatch(/^chunk_id: c1\n\[output dropped to keep the conversation within the model's context window/);
    expect(outputs.at(-1)).toContain("sixth  command line 150");
    expect(result.finalMessage).toContain("【c6†L150-L150】");
  });

  it("has the model summarize the work when dropping outputs is not enough, and carries on from the summary", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: "[scenario:compaction] run them all", mode: "ask", fs: null, limits: { maxSteps: 20, maxTokens: 1_000_000, commandTimeoutMs: 30_000, contextWindowTokens: 5_000 } });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    // Every command ran once: the summary told the model where it was.
    expect(result.commands.map((c) => c.chunkId)).toEqual(["c1", "c2", "c3", "c4", "c5", "c6"]);
    expect(r.activity.some((a) => a.type === "compaction" && a.summarized)).toBe(true);
    const asked = r.requests().find((q) => JSON.stringify(q.body).includes("CONTEXT CHECKPOINT COMPACTION"));
    expect(asked?.body.tools).toBeUndefined();
    const after = JSON.stringify(r.requests().at(-1)!.body);
    expect(after).toContain("The conversation so far was compacted");
    expect(after).toContain("[scenario:compaction] run them all");
    expect(after).not.toContain("first  command line 1 ");
  });

  it("compacts and retries when the server says the conversation is too long, instead of failing", async () => {
    const r = runWithFake(fake, dir, { apiMode, prompt: "[scenario:context-limit] go", mode: "ask", fs: null });
    const result = await r.promise;
    expect(result.status).toBe("succeeded");
    expect(result.finalMessage).toBe("Done despite the small context window.");
    expect(r.activity.filter((a) => a.type === "compaction")[0]).toMatchObject({ reason: "context_length_exceeded" });
    expect(result.commands).toHaveLength(4);
  });
});
