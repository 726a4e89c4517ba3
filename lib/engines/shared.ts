import type { AgentActivity, AgentEvent } from "@/lib/agent/types";
import type { ModelGateway } from "@/lib/network/model-gateway";

/** Where an engine's event mapper sends what it understood. */
export type EngineSinks = {
  emit: (e: AgentEvent) => void | Promise<void>;
  emitActivity: (a: AgentActivity) => void | Promise<void>;
  note: (text: string) => void | Promise<void>;
};

/** A path an engine reports (absolute inside the sandbox) relative to the checkout. */
export function workspaceRelative(p: string, root = "/workspace"): string {
  if (p === root) return ".";
  return p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p.replace(/^\.\//, "");
}

/** What the engine's calls used this turn, as the gateway counted it (the figure that is enforced and billed). */
export function gatewayUsage(gateway: ModelGateway) {
  const s = gateway.stats();
  return { inputTokens: s.inputTokens, outputTokens: s.outputTokens, cachedInputTokens: s.cachedInputTokens, reasoningTokens: s.reasoningTokens };
}

/** The attempt's token budget is spent: what the person reads (the same code as the Patchbay agent's). */
export function budgetFailure(gateway: ModelGateway, maxTokens: number) {
  const s = gateway.stats();
  return { code: "token_limit", message: `the engine used ${s.inputTokens + s.outputTokens} tokens, its budget is ${maxTokens} (AGENT_MAX_TOKENS)` };
}

/**
 * A follow-up whose engine session is gone (another runner machine, a first turn that saved nothing): the earlier
 * turns travel in the prompt instead.
 */
export function priorTurnsPrompt(prior: { prompt: string; finalMessage: string }[], prompt: string): string {
  if (prior.length === 0) return prompt;
  const history = prior.map((t, i) => `## Turn ${i + 1}\nRequest:\n${t.prompt}\n\nYour answer:\n${t.finalMessage || "(none)"}`).join("\n\n");
  return `Earlier in this task (the same checkout, with your changes so far):\n\n${history}\n\n## Now\n${prompt}`;
}
