"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "@/components/ui/fetch-json";
import { usageSummary, type Usage } from "@/components/ui/usage-format";

type UsageResponse = { last30Days: Usage & { attempts: number }; allTime: Usage & { attempts: number } };

/** The person's model usage over the last 30 days, in the header: tokens, and the cost where the model has a price. */
export function UsageSummary() {
  const usage = useQuery({ queryKey: ["usage"], queryFn: () => fetchJson<UsageResponse>("/api/usage"), staleTime: 60_000 });
  if (!usage.data) return null;
  const month = usage.data.last30Days;
  const { short, detail } = usageSummary(month);
  return (
    <span
      className="hidden rounded-md px-2 py-1 text-xs tabular-nums text-muted md:inline"
      title={`Last 30 days, ${month.attempts} attempt${month.attempts === 1 ? "" : "s"}: ${detail}`}
      data-testid="usage-summary"
    >
      <span className="sr-only">Model usage in the last 30 days: </span>
      <span aria-hidden>30 days · </span>
      {short}
    </span>
  );
}
