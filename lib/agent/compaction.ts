import "server-only";

import { COMPACTION_MARKER } from "./model/history-size";
import type { ModelClient, ModelHistory } from "./model/types";
import type { AgentActivity, Usage } from "./types";

/** Marks the request that asks the model for its handoff summary (the fake model recognises it too). */
export const COMPACTION_PROMPT = `${COMPACTION_MARKER}
The conversation is about to be cut to fit the model's context window. Write a handoff summary for yourself, to continue the task from it without the history:
- what the user asked for, and constraints or preferences they gave;
- what you did and found so far: files read or changed (with paths), commands run and their outcome (with their chunk ids), decisions made;
- what remains to be done, as concrete next steps;
- any exact detail you will need (names, error messages, line numbers).
Answer with the summary only; do not call tools.`;

/** Auto-compaction starts at 90% of the context window, as Codex's does by default. */
const COMPACT_AT = 0.9;
/** Dropping old outputs is enough when it brings the conversation under this share of the window. */
const PRUNED_ENOUGH = 0.7;
/** The newest tool outputs are kept whole: the model is usually working from them. */
const KEEP_OUTPUTS = 3;
/** User messages kept through a summary (the task and follow-ups), newest first. */
const KEEP_USER_CHARS = 80_000;

/** What an old tool output becomes: its chunk id stays, so the model can still cite it or look it up again. */
export function stubToolOutput(output: string): string {
  const first = output.split("\n", 1)[0];
  const chunk = /^chunk_id:\s*\S+$/.test(first) ? `${first}\n` : "";
  return `${chunk}[output dropped to keep the conversation within the model's context window; run the command again if you need it]`;
}

type Deps = {
  model: ModelClient;
  history: ModelHistory;
  /** Input tokens the model accepts; null when unknown (then only a context-length error compacts). */
  contextWindow: number | null;
  activity: (e: AgentActivity) => void;
};

/**
 * Keeps a long task within the model's context window, as Codex's auto-compaction does: first the outputs of old tool
 * calls are dropped (their chunk ids stay), and when that is not enough the model writes a summary of the work so far,
 * which replaces the conversation (the user's messages are kept).
 */
export class Compactor {
  /** Tokens per character of a request, learnt from the server's usage reports. */
  private tokensPerChar = 0.25;
  /** Size of the history right after the last compaction: compacting again before it grew would gain nothing. */
  private compactedSize = 0;
  /** Characters each request carries besides the history (instructions and tool definitions). */
  private overhead = 0;

  constructor(private readonly deps: Deps) {}

  /** Before a model call: the characters of its instructions and tool definitions. */
  setOverhead(chars: number): void {
    this.overhead = chars;
  }

  /** After a model call: `historySize` is the history's size when it was sent; `inputTokens` what the server counted. */
  record(historySize: number, inputTokens: number): void {
    const chars = historySize + this.overhead;
    if (chars > 0 && inputTokens > 0) this.tokensPerChar = inputTokens / chars;
  }

  estimate(): number {
    return Math.ceil((this.deps.history.size() + this.overhead) * this.tokensPerChar);
  }

  shouldCompact(): boolean {
    const window = this.deps.contextWindow;
    if (!window || this.estimate() < window * COMPACT_AT) return false;
    return this.deps.history.size() > this.compactedSize * 1.1;
  }

  /**
   * Compacts the history; returns the tokens the summary call used. `reason` "context_length_exceeded": the server
   * refused the conversation, so the history is compacted even without a known window.
   */
  async compact(opts: {
    reason: "context_window" | "context_length_exceeded";
    instructions: string;
    signal: AbortSignal;
    promptCacheKey?: string;
  }): Promise<Usage> {
    const { history, model, contextWindow } = this.deps;
    const tokensBefore = this.estimate();
    // Refused by the server: the window we know (if any) was wrong, so keep less.
    const refused = opts.reason === "context_length_exceeded";
    const pruned = history.pruneToolOutputs(refused ? 1 : KEEP_OUTPUTS, stubToolOutput);
    const afterPrune = this.estimate();
    const enough =
      pruned.dropped > 0 &&
      (contextWindow && !refused ? afterPrune < contextWindow * PRUNED_ENOUGH : pruned.sizeAfter < pruned.sizeBefore * PRUNED_ENOUGH);
    const usage: Usage = { inputTokens: 0, outputTokens: 0 };
    if (!enough) {
      // The request for the summary must fit too: it goes without any old output.
      if (refused) history.pruneToolOutputs(0, stubToolOutput);
      history.addUserMessage(COMPACTION_PROMPT);
      const sizeBefore = history.size();
      const result = await model.step({ instructions: opts.instructions, history, tools: [], signal: opts.signal, promptCacheKey: opts.promptCacheKey });
      this.record(sizeBefore, result.usage.inputTokens);
      usage.inputTokens = result.usage.inputTokens;
      usage.outputTokens = result.usage.outputTokens;
      history.replaceWithSummary(result.text.trim() || "(the model gave no summary)", KEEP_USER_CHARS);
    }
    this.compactedSize = history.size();
    this.deps.activity({
      type: "compaction",
      reason: opts.reason,
      droppedOutputs: pruned.dropped,
      summarized: !enough,
      tokensBefore,
      tokensAfter: this.estimate(),
    });
    return usage;
  }
}
