import "server-only";
import fs from "node:fs";
import type { AgentStatus } from "@/lib/agent/types";
import { SANDBOX_PATH } from "@/lib/sandbox/bwrap-args";
import {
  ENGINE_HOME,
  GATEWAY_DUMMY_KEY,
  GATEWAY_URL,
  locateEngine,
  patchbayNotes,
  restoreState,
  runEngineCli,
  SANDBOX_ENGINE_DIR,
  SANDBOX_STATE_FILE,
  saveState,
  stderrTail,
} from "./cli";
import { CodexEventMapper } from "./codex-events";
import { budgetFailure, gatewayUsage, priorTurnsPrompt } from "./shared";
import type { Engine, EngineRunOptions, EnginesConfig } from "./types";

/**
 * Codex CLI (`@openai/codex`) as an engine: `codex exec --json` inside the attempt's sandbox, Codex's own sandbox
 * and approvals off (ours is the boundary), its model provider pointed at the gateway, its session kept from
 * turn to turn (a follow-up is `codex exec resume <thread id>`).
 */

const TARGETS: Record<string, { pkg: string; triple: string }> = {
  x64: { pkg: "@openai/codex-linux-x64", triple: "x86_64-unknown-linux-musl" },
  arm64: { pkg: "@openai/codex-linux-arm64", triple: "aarch64-unknown-linux-musl" },
};

const CODEX_HOME = `${ENGINE_HOME}/.codex`;
const BIN = `${SANDBOX_ENGINE_DIR}/bin/codex`;

/** TOML for a `-c key=value` override (JSON strings are TOML basic strings). */
const toml = (v: string) => JSON.stringify(v);

export function codexArgs(opts: {
  model: string;
  session: string | null;
  instructions: string;
  reasoningEffort?: string;
  reasoningSummary?: string;
}): string[] {
  const provider = `{name=${toml("Patchbay model gateway")}, base_url=${toml(`${GATEWAY_URL}/v1`)}, env_key="PATCHBAY_GATEWAY_KEY", wire_api="responses"}`;
  return [
    BIN,
    "exec",
    ...(opts.session ? ["resume"] : []),
    "--json",
    // Patchbay's sandbox is the boundary: Codex's own (Landlock/bubblewrap) cannot nest in it, and nobody is
    // there to approve anything.
    "--dangerously-bypass-approvals-and-sandbox",
    // The checkout's git dir lives outside it (read-only at /workspace-git).
    "--skip-git-repo-check",
    "-m",
    opts.model,
    "-c",
    'model_provider="patchbay"',
    "-c",
    `model_providers.patchbay=${provider}`,
    "-c",
    `developer_instructions=${toml(opts.instructions)}`,
    "-c",
    "check_for_update_on_startup=false",
    "-c",
    "analytics.enabled=false",
    ...(opts.reasoningEffort ? ["-c", `model_reasoning_effort=${toml(opts.reasoningEffort)}`] : []),
    ...(opts.reasoningSummary ? ["-c", `model_reasoning_summary=${toml(opts.reasoningSummary)}`] : []),
    ...(opts.session ? [opts.session] : []),
    // The prompt comes on stdin.
    "-",
  ];
}

export function codexEngine(config: EnginesConfig): Engine {
  const target = TARGETS[process.arch];
  const located = target
    ? locateEngine({ nodeModules: config.nodeModules, packageName: "@openai/codex", platformPackage: `${target.pkg}/vendor/${target.triple}`, binary: "bin/codex", label: "Codex CLI" })
    : { error: `Codex CLI has no Linux build for ${process.arch}.` };

  return {
    name: "codex",
    unavailable() {
      if ("error" in located) return { code: "engine_not_installed", message: located.error };
      if (!config.openai) return { code: "model_not_configured", message: "Codex CLI needs a model: set OPENAI_API_KEY (and OPENAI_BASE_URL for other servers that speak the Responses API)." };
      return null;
    },
    packageDir: "error" in located ? null : located.dir,
    sandbox({ stateFile, packageDir }) {
      if ("error" in located || !config.openai) throw new Error("codex engine unavailable");
      return {
        binds: [{ hostPath: packageDir ?? located.dir, sandboxPath: SANDBOX_ENGINE_DIR }, ...(stateFile ? [{ hostPath: stateFile, sandboxPath: SANDBOX_STATE_FILE }] : [])],
        env: {
          CODEX_HOME,
          PATCHBAY_GATEWAY_KEY: GATEWAY_DUMMY_KEY,
          // Codex's helpers (rg) ship beside it.
          PATH: `${SANDBOX_PATH}:${SANDBOX_ENGINE_DIR}/codex-path`,
          NO_COLOR: "1",
        },
        gateway: { kind: "openai", baseUrl: config.openai.baseURL, apiKey: config.openai.apiKey },
      };
    },
    run: (opts) => runCodex(config, opts),
  };
}

async function runCodex(config: EnginesConfig, opts: EngineRunOptions & { stateFile: string }) {
  const openai = config.openai!;
  const { sandbox } = opts;
  await sandbox.exec({ argv: ["mkdir", "-p", CODEX_HOME], timeoutMs: 10_000 });
  const hadState = fs.existsSync(opts.stateFile);
  const restoreProblem = await restoreState(sandbox, hadState);
  if (restoreProblem) await opts.note(`Note: ${restoreProblem}; this turn starts a new Codex session.\n`);
  const session = opts.session && hadState && !restoreProblem ? opts.session : null;
  const prompt = session ? opts.prompt : priorTurnsPrompt(opts.priorTurns, opts.prompt);

  const mapper = new CodexEventMapper({ emit: opts.emit, emitActivity: opts.emitActivity, note: opts.note }, opts.firstChunk);
  await opts.note(`Codex CLI · ${openai.model}${session ? ` · resuming session ${session}` : ""}\n`);
  const run = await runEngineCli({
    sandbox,
    argv: codexArgs({
      model: openai.model,
      session,
      instructions: patchbayNotes({ mode: opts.mode, firstChunk: opts.firstChunk }),
      reasoningEffort: openai.reasoningEffort,
      reasoningSummary: openai.reasoningSummary === "none" ? undefined : openai.reasoningSummary,
    }),
    stdin: prompt,
    signal: opts.signal,
    onEvent: (e) => mapper.handle(e),
  });
  await mapper.closeOpen();
  const saveProblem = await saveState(sandbox, opts.stateFile, [".codex"], [".codex/log", ".codex/tmp", ".codex/.tmp", ".codex/cache"]);
  if (saveProblem) await opts.note(`Note: ${saveProblem}; a follow-up will start a new Codex session.\n`);

  const usage = opts.gateway ? gatewayUsage(opts.gateway) : mapper.usage;
  let status: AgentStatus = "succeeded";
  let error: { code: string; message: string } | undefined;
  if (opts.signal.aborted || run.result.cancelled) {
    status = "cancelled";
    error = { code: "cancelled", message: "the task was cancelled" };
  } else if (opts.gateway?.overBudget()) {
    status = "failed";
    error = budgetFailure(opts.gateway, opts.limits.maxTokens);
  } else if (mapper.failure || run.result.exitCode !== 0 || !mapper.turnCompleted) {
    status = "failed";
    const tail = stderrTail(run.stderr);
    error = mapper.failure ?? { code: "engine_failed", message: `Codex CLI exited with ${run.result.exitCode ?? "a signal"}${tail ? `: ${tail}` : "."}` };
  }
  if (status === "succeeded") await opts.emit({ type: "message", text: mapper.finalMessage.trim() });
  return { status, finalMessage: mapper.finalMessage.trim(), usage, commands: mapper.commands, error, session: mapper.session ?? session };
}
