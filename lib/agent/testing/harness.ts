import "server-only";

import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { startFakeModel, type FakeModel, type RecordedRequest } from "@/e2e/fakes/model/server";

import { runAgent, type RunAgentOptions } from "../loop";
import { createModelClient } from "../model";
import type { ApiMode, ModelClientOptions } from "../model/types";
import type { AgentActivity, AgentEvent } from "../types";
import { WorkspaceFs } from "../workspace-fs";
import { createLocalExecutor } from "./local-exec";

/** TEST ONLY: the widgets repository copied to a temp dir, the fake model, and runAgent wired to both. */
export const WIDGETS = path.resolve(import.meta.dirname, "../../../e2e/fixtures/repos/widgets");

export type Harness = { fake: FakeModel; dir: string };

export async function startHarness(): Promise<FakeModel> {
  return startFakeModel({ textDelayMs: 1 });
}

export function freshWorkspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "patchbay-agent-"));
  cpSync(WIDGETS, dir, { recursive: true });
  return dir;
}

export function removeWorkspace(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export type RunOptions = Partial<RunAgentOptions> & {
  prompt: string;
  apiMode?: ApiMode;
  modelName?: string;
  client?: Partial<ModelClientOptions>;
};

/** Runs the agent against the fake model; returns the events, the activity and the requests the server received. */
export function runWithFake(fake: FakeModel, dir: string, over: RunOptions) {
  const { apiMode = "responses", modelName = "fake-codex", client, ...rest } = over;
  const events: AgentEvent[] = [];
  const activity: AgentActivity[] = [];
  const controller = new AbortController();
  const mode = rest.mode ?? "code";
  const firstRequest = fake.received.length;
  const promise = runAgent({
    model: createModelClient({
      baseURL: fake.url,
      apiKey: "sk-test-secret-key-123456",
      model: modelName,
      apiMode,
      timeoutMs: 10_000,
      maxRetries: 0,
      ...client,
    }),
    mode,
    exec: createLocalExecutor(dir),
    fs: mode === "code" ? new WorkspaceFs(dir) : null,
    workspaceDir: dir,
    limits: { maxSteps: 20, maxTokens: 1_000_000, commandTimeoutMs: 30_000 },
    signal: controller.signal,
    emit: (e) => void events.push(e),
    emitActivity: (e) => void activity.push(e),
    ...rest,
  });
  /** The model requests of this run, as the client sent them. */
  const requests = (): RecordedRequest[] => fake.received.slice(firstRequest);
  return { promise, events, activity, controller, requests };
}

/** The text of every tool result in a recorded request (Responses input or Chat messages). */
export function toolOutputs(req: RecordedRequest): string[] {
  const items = (req.body.input ?? req.body.messages) as { type?: string; role?: string; output?: unknown; content?: unknown }[];
  return items.flatMap((i) => (i.type === "function_call_output" ? [String(i.output)] : i.role === "tool" ? [String(i.content)] : []));
}

/** The names of the tools a recorded request offered. */
export function offeredTools(req: RecordedRequest): string[] {
  const tools = (req.body.tools ?? []) as { name?: string; function?: { name: string } }[];
  return tools.map((t) => t.name ?? t.function?.name ?? "");
}
