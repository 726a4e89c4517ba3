import "server-only";
import path from "node:path";
import type { ModelClientOptions } from "@/lib/agent/model";
import type { Env } from "@/lib/env";
import { claudeEngine } from "./claude";
import { codexEngine } from "./codex";
import { isEngineName, type EngineName } from "./names";
import { patchbayEngine } from "./patchbay";
import type { Engine, EnginesConfig } from "./types";

export type { Engine, EngineResult, EngineRunOptions, EngineSandbox, EnginesConfig } from "./types";
export { ENGINE_LABELS, ENGINE_NAMES, isEngineName, type EngineName } from "./names";

/** The engines' settings from the environment (the Patchbay agent's model client is the runner's own). */
export function enginesConfigFromEnv(env: Env, openai: ModelClientOptions | null): EnginesConfig {
  return {
    openai,
    anthropic: env.ANTHROPIC_API_KEY || env.ANTHROPIC_BASE_URL
      ? { baseUrl: env.ANTHROPIC_BASE_URL ?? "https://api.anthropic.com", apiKey: env.ANTHROPIC_API_KEY ?? "unused", model: env.ANTHROPIC_MODEL }
      : null,
    nodeModules: path.resolve("node_modules"),
    defaultEngine: env.PATCHBAY_DEFAULT_ENGINE,
  };
}

/** The engine a task names (an unknown or missing name: the configured default). */
export function engineFor(name: string | null | undefined, config: EnginesConfig): Engine {
  const chosen: EngineName = isEngineName(name) ? name : config.defaultEngine;
  switch (chosen) {
    case "codex":
      return codexEngine(config);
    case "claude":
      return claudeEngine(config);
    default:
      return patchbayEngine(config);
  }
}
