import "server-only";

import type { PlanItem } from "../types";
import { ToolInputError } from "./args";
import type { ToolContext, ToolOutcome } from "./context";

export function runUpdatePlan(args: Record<string, unknown>, ctx: ToolContext): ToolOutcome {
  if (!Array.isArray(args.plan)) throw new ToolInputError("plan must be an array of {step, status}");
  const plan: PlanItem[] = [];
  for (const item of args.plan as unknown[]) {
    const it = item as { step?: unknown; status?: unknown } | null;
    if (!it || typeof it.step !== "string" || !["pending", "in_progress", "completed"].includes(it.status as string)) {
      throw new ToolInputError('each plan item must be {"step": string, "status": "pending" | "in_progress" | "completed"}');
    }
    plan.push({ step: it.step, status: it.status as PlanItem["status"] });
  }
  if (plan.filter((p) => p.status === "in_progress").length > 1) throw new ToolInputError("at most one step can be in_progress");
  if (args.explanation !== undefined && typeof args.explanation !== "string") throw new ToolInputError("explanation must be a string");
  const explanation = args.explanation as string | undefined;
  ctx.emit({ type: "plan", ...(explanation ? { explanation } : {}), plan });
  return { output: "Plan updated.", ok: true };
}
