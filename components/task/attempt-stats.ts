import type { TaskEventDTO } from "@/components/log/types";
import { checkRuns, type CheckRun } from "@/lib/pr/body";
import { formatCost, formatTokens } from "@/components/ui/usage-format";
import type { AttemptDTO } from "./types";

export { formatCost, formatTokens };

export type { CheckRun };

/** How long the agent worked on one attempt: each turn from its first status to its last, summed. */
export function workedMsOf(events: readonly TaskEventDTO[]): number {
  const spans = new Map<number, [number, number]>();
  for (const e of events) {
    if (e.type !== "status") continue;
    const t = new Date(e.createdAt).getTime();
    const span = spans.get(e.turn);
    if (span) span[1] = t;
    else spans.set(e.turn, [t, t]);
  }
  let total = 0;
  for (const [first, last] of spans.values()) total += last - first;
  return total;
}

/** The checks the attempt ran (tests, lint, builds) and how their latest run ended, from its commands. */
export function checksOf(events: readonly TaskEventDTO[]): CheckRun[] {
  return checkRuns(events.filter((e) => e.type === "command").map((e) => ({ seq: e.seq, turn: e.turn, type: e.type, payload: e.payload })));
}

/** "2 of 3 checks passed", "No checks run". */
export function checksLabel(checks: readonly CheckRun[]): string {
  if (checks.length === 0) return "No checks run";
  const passed = checks.filter((c) => c.outcome === "passed").length;
  if (passed === checks.length) return checks.length === 1 ? "Check passed" : `All ${checks.length} checks passed`;
  return `${passed} of ${checks.length} checks passed`;
}

type Usage = Pick<AttemptDTO, "inputTokens" | "outputTokens" | "cachedInputTokens" | "reasoningTokens" | "costUsd">;

/** "12.3k tokens · $0.04" (or tokens alone when no price is configured). */
export function usageShort(u: Usage): string {
  const cost = formatCost(u.costUsd);
  return `${formatTokens(u.inputTokens + u.outputTokens)} tokens${cost ? ` · ${cost}` : ""}`;
}

/** The lowest attempt index a person reads ("Attempt 1"). */
export function attemptName(a: Pick<AttemptDTO, "index">): string {
  return `Attempt ${a.index + 1}`;
}

/**
 * The attempt the page preselected (the first to succeed) rather than one the person picked: the chosen attempt
 * is the succeeded one that finished first.
 */
export function looksPreselected(attempts: readonly AttemptDTO[], chosenId: string | null): boolean {
  if (!chosenId) return false;
  const succeeded = attempts.filter((a) => a.status === "succeeded" && a.finishedAt);
  succeeded.sort((a, b) => new Date(a.finishedAt!).getTime() - new Date(b.finishedAt!).getTime());
  return succeeded[0]?.id === chosenId;
}
