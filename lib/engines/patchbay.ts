import "server-only";
import { runAgent } from "@/lib/agent/loop";
import { createModelClient } from "@/lib/agent/model";
import type { Engine, EnginesConfig } from "./types";

/**
 * Patchbay's own agent loop (lib/agent): it runs in the runner and calls the model itself; only its commands run
 * in the sandbox, so it needs no gateway and nothing bound in. Follow-ups replay the earlier turns' messages.
 */
export function patchbayEngine(config: EnginesConfig): Engine {
  return {
    name: "patchbay",
    unavailable: () =>
      config.openai ? null : { code: "model_not_configured", message: "No model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for other servers)." },
    packageDir: null,
    sandbox: () => ({ binds: [], env: {}, gateway: null }),
    async run(opts) {
      if (!config.openai) throw new Error("patchbay engine without a model");
      const result = await runAgent({
        model: createModelClient(config.openai),
        mode: opts.mode,
        prompt: opts.prompt,
        promptImages: opts.promptImages,
        priorTurns: opts.priorTurns,
        steer: opts.steer,
        exec: opts.exec,
        startCommand: opts.startCommand,
        fs: opts.fs,
        workspaceDir: opts.workspaceDir,
        limits: opts.limits,
        signal: opts.signal,
        emit: opts.emit,
        emitActivity: opts.emitActivity,
        promptCacheKey: opts.promptCacheKey,
        toolSurface: opts.toolSurface,
        firstChunk: opts.firstChunk,
      });
      return { ...result, session: null };
    },
  };
}
