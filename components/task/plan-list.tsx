import type { PlanStep } from "@/components/log/types";

export function PlanList({ plan }: { plan: PlanStep[] }) {
  return (
    <ol aria-label="Plan" className="space-y-1 text-sm">
      {plan.map((p, i) => (
        <li key={i} className="flex items-start gap-2">
          <span
            aria-label={p.status.replace("_", " ")}
            className={`mt-1 flex h-3.5 w-3.5 shrink-0 items-center justify-center rounded-full border text-[9px] ${
              p.status === "completed"
                ? "border-success bg-success text-bg"
                : p.status === "in_progress"
                  ? "border-ring"
                  : "border-border"
            }`}
          >
            {p.status === "completed" ? "✓" : p.status === "in_progress" ? <span className="h-1.5 w-1.5 rounded-full bg-ring" /> : null}
          </span>
          <span className={p.status === "completed" ? "text-muted line-through decoration-border" : "text-fg"}>{p.step}</span>
        </li>
      ))}
    </ol>
  );
}
