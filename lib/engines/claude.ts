import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import type { AgentStatus } from "@/lib/agent/types";
import { ClaudeEventMapper } from "./claude-events";
import {
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
import { budgetFailure, gatewayUsage, priorTurnsPrompt } from "./shared";
import type { Engine, EngineRunOptions, EnginesConfig } from "./types";

/**
 * Claude Code (`@anthropic-ai/claude-code`) as an engine: `claude -p --output-format stream-json` inside the
 * attempt's sandbox with its permission prompts bypassed (our sandbox is the boundary), ANTHROPIC_BASE_URL pointed
 * at the gateway, and a session id Patchbay chooses so that a follow-up is `claude -p --resume <id>`.
 */

const PACKAGES: Record<string, string> = { x64: "@anthropic-ai/claude-code-linux-x64", arm64: "@anthropic-ai/claude-code-linux-arm64" };
const BIN = `${SANDBOX_ENGINE_DIR}/claude`;
const EDIT_TOOLS = ["Edit", "MultiEdit", "Write", "NotebookEdit"];

export function claudeArgs(opts: { session: string; resume: boolean; instructions: string; model?: string; mode: "code" | "ask" }): string[] {
  return [
    BIN,
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    // No one answers permission prompts in a sandbox; the sandbox is what contains the agent.
    "--dangerously-skip-permissions",
    ...(opts.resume ? ["--resume", opts.session] : ["--session-id", opts.session]),
    "--append-system-prompt",
    opts.instructions,
    ...(opts.model ? ["--model", opts.model] : []),
    // Ask mode: the checkout is read-only anyway; without the edit tools Claude does not try.
    ...(opts.mode === "ask" ? ["--disallowedTools", ...EDIT_TOOLS] : []),
  ];
}

export function claudeEngine(config: EnginesConfig): Engine {
  const pkg = PACKAGES[process.arch];
  const located = pkg
    ? locateEngine({ nodeModules: config.nodeModules, packageName: "@anthropic-ai/claude-code", platformPackage: pkg, binary: "claude", label: "Claude Code" })
    : { error: `Claude Code has no Linux build for ${process.arch}.` };

  return {
    name: "claude",
    unavailable() {
      if ("error" in located) return { code: "engine_not_installed", message: located.error };
      if (!config.anthropic) return { code: "model_not_configured", message: "Claude Code needs a model: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a compatible server)." };
      return null;
    },
    packageDir: "error" in located ? null : located.dir,
    sandbox({ stateFile, packageDir }) {
      if ("error" in located || !config.anthropic) throw new Error("claude engine unavailable");
      const model = config.anthropic.model;
      return {
        binds: [{ hostPath: packageDir ?? located.dir, sandboxPath: SANDBOX_ENGINE_DIR }, ...(stateFile ? [{ hostPath: stateFile, sandboxPath: SANDBOX_STATE_FILE }] : [])],
        env: {
          ANTHROPIC_BASE_URL: GATEWAY_URL,
          ANTHROPIC_API_KEY: GATEWAY_DUMMY_KEY,
          // Nothing but the model is reachable; these stop Claude Code from trying (and from waiting on it).
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_TELEMETRY: "1",
          DISABLE_ERROR_REPORTING: "1",
          DISABLE_AUTOUPDATER: "1",
          // Its side calls (titles, summaries) use a small model; on a configured model, the same one.
          ...(model ? { ANTHROPIC_DEFAULT_HAIKU_MODEL: model, ANTHROPIC_SMALL_FAST_MODEL: model } : {}),
          NO_COLOR: "1",
        },
        gateway: { kind: "anthropic", baseUrl: config.anthropic.baseUrl, apiKey: config.anthropic.apiKey },
      };
    },
    run: (opts) => runClaude(config, opts),
  };
}

async function runClaude(config: EnginesConfig, opts: EngineRunOptions & { stateFile: string }) {
  const { sandbox } = opts;
  const hadState = fs.existsSync(opts.stateFile);
  const restoreProblem = await restoreState(sandbox, hadState);
  if (restoreProblem) await opts.note(`Note: ${restoreProblem}; this turn starts a new Claude Code session.\n`);
  const resume = Boolean(opts.session && hadState && !restoreProblem);
  const session = resume && opts.session ? opts.session : crypto.randomUUID();
  const prompt = resume ? opts.prompt : priorTurnsPrompt(opts.priorTurns, opts.prompt);

  const mapper = new ClaudeEventMapper({ emit: opts.emit, emitActivity: opts.emitActivity, note: opts.note }, opts.firstChunk);
  const run = await runEngineCli({
    sandbox,
    argv: claudeArgs({ session, resume, instructions: patchbayNotes({ mode: opts.mode, firstChunk: opts.firstChunk }), model: config.anthropic?.model, mode: opts.mode }),
    stdin: prompt,
    signal: opts.signal,
    onEvent: (e) => mapper.handle(e),
  });
  await mapper.closeOpen();
  const saveProblem = await saveState(sandbox, opts.stateFile, [".claude", ".claude.json"], [".claude/statsig", ".claude/shell-snapshots", ".claude/todos"]);
  if (saveProblem) await opts.note(`Note: ${saveProblem}; a follow-up will start a new Claude Code session.\n`);

  const usage = opts.gateway ? gatewayUsage(opts.gateway) : mapper.usage;
  let status: AgentStatus = "succeeded";
  let error: { code: string; message: string } | undefined;
  if (opts.signal.aborted || run.result.cancelled) {
    status = "cancelled";
    error = { code: "cancelled", message: "the task was cancelled" };
  } else if (opts.gateway?.overBudget()) {
    status = "failed";
    error = budgetFailure(opts.gateway, opts.limits.maxTokens);
  } else if (mapper.failure || run.result.exitCode !== 0 || !mapper.gotResult) {
    status = "failed";
    const tail = stderrTail(run.stderr);
    error = mapper.failure ?? { code: "engine_failed", message: `Claude Code exited with ${run.result.exitCode ?? "a signal"}${tail ? `: ${tail}` : "."}` };
  }
  const finalMessage = mapper.answer;
  if (status === "succeeded") await opts.emit({ type: "message", text: finalMessage });
  return { status, finalMessage, usage, commands: mapper.commands, error, session: mapper.session };
}
