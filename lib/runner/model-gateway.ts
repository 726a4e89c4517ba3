import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { Engine, EngineSandbox } from "@/lib/engines";
import type { AttemptEventWriter } from "@/lib/events/writer";
import { startModelGateway, type GatewayEvent, type ModelGateway } from "@/lib/network/model-gateway";
import type { SandboxOptions } from "@/lib/sandbox";
import type { AttemptWorkspace } from "./workspace";

/**
 * The agent phase's model gateway, for engines that run inside the sandbox: a socket in the attempt's folder,
 * every call written to the task log (a `model` event, and the attempt's running `usage`), a summary at the end.
 * The Patchbay agent calls the model from the runner and needs none.
 */

export type PhaseModel = { engine: Engine; sandbox: EngineSandbox; gateway: ModelGateway | null; stateFile: string };

/** Where an engine's session is kept between turns (outside the turn's volume, beside the host repository). */
export function engineStateFile(workspace: AttemptWorkspace, engine: Engine): string {
  return path.join(workspace.root, "engine", `${engine.name}-state.tgz`);
}

export async function openModelGateway(opts: {
  engine: Engine;
  /** The engine's binaries where the sandbox user can bind them (lib/runner/engine-dir.ts). */
  packageDir: string | null;
  workspace: AttemptWorkspace;
  maxTokens: number;
  events: AttemptEventWriter;
}): Promise<PhaseModel> {
  const stateFile = engineStateFile(opts.workspace, opts.engine);
  const sandbox = opts.engine.sandbox({ stateFile: fs.existsSync(stateFile) ? stateFile : null, packageDir: opts.packageDir });
  if (!sandbox.gateway) return { engine: opts.engine, sandbox, gateway: null, stateFile };
  let gateway: ModelGateway | null = null;
  gateway = await startModelGateway({
    socketPath: path.join(opts.workspace.root, "model-agent.sock"),
    provider: sandbox.gateway,
    maxTokens: opts.maxTokens,
    onEvent: (e) => void recordGatewayEvent(opts.events, e, gateway),
  });
  return { engine: opts.engine, sandbox, gateway, stateFile };
}

/** What the agent sandbox gets for the engine: its binds and variables, and the gateway's socket. */
export function engineSandboxOptions(phase: PhaseModel, base: { extraReadOnlyBinds?: SandboxOptions["extraReadOnlyBinds"]; env?: Record<string, string> }): Partial<SandboxOptions> {
  return {
    extraReadOnlyBinds: [...(base.extraReadOnlyBinds ?? []), ...phase.sandbox.binds],
    // The engine's own variables win over the environment's (an environment cannot repoint the gateway).
    env: { ...(base.env ?? {}), ...phase.sandbox.env },
    ...(phase.gateway ? { modelSocket: phase.gateway.socketPath } : {}),
  };
}

async function recordGatewayEvent(events: AttemptEventWriter, e: GatewayEvent, gateway: ModelGateway | null): Promise<void> {
  await events.append("model", { ...e }).catch(() => undefined);
  // The attempt's running total, as the Patchbay agent reports it after each model call.
  if (e.kind === "call" && gateway) {
    const s = gateway.stats();
    await events
      .append("usage", { inputTokens: s.inputTokens, outputTokens: s.outputTokens, cachedInputTokens: s.cachedInputTokens, reasoningTokens: s.reasoningTokens }, { coalesce: true })
      .catch(() => undefined);
  }
}

/**
 * The engine's notes in the log (what it is, the tools it used that are not commands, its warnings): consecutive
 * notes share a block ("Engine"), a command or message in between starts a new one, so they stay in order.
 */
export function engineNotes(events: AttemptEventWriter, turn: number) {
  let block = 0;
  let open = false;
  return {
    note(text: string): Promise<void> {
      if (!open) block++;
      open = true;
      return events.append("log", { chunkId: `engine-${turn}-${block}`, stream: "system", text }, { coalesce: true });
    },
    interrupt() {
      open = false;
    },
  };
}

/** Closes the gateway and logs what the engine used. */
export async function closeModelGateway(phase: PhaseModel | null, events: AttemptEventWriter): Promise<void> {
  if (!phase?.gateway) return;
  const stats = phase.gateway.stats();
  await phase.gateway.close().catch(() => undefined);
  if (stats.calls === 0 && stats.refused === 0) return;
  await events.append("model", { kind: "summary", ...stats });
}
