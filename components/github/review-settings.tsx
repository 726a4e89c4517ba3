"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";

type Settings = {
  reviewOnRequest: boolean;
  canChange: boolean;
  reviewers: string[];
  mention: string;
  webhooksConfigured: boolean;
};

/**
 * Reviews from GitHub, for the whole repository (not only this person's environment): `@patchbay review` always
 * works; this switch makes a review requested from Patchbay on a pull request start one too. Saved at once.
 */
export function ReviewSettings({ repoFullName }: { repoFullName: string }) {
  const url = `/api/repos/${repoFullName}/reviews`;
  const id = useId();
  const queryClient = useQueryClient();
  const query = useQuery({ queryKey: ["review-settings", repoFullName], queryFn: () => fetchJson<{ settings: Settings }>(url) });
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);

  async function toggle(reviewOnRequest: boolean) {
    setSaving(true);
    setError(null);
    try {
      const next = await fetchJson<{ settings: Settings }>(url, { method: "PUT", body: JSON.stringify({ reviewOnRequest }) });
      queryClient.setQueryData(["review-settings", repoFullName], next);
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setSaving(false);
    }
  }

  const s = query.data?.settings;
  return (
    <section aria-labelledby={id} className="mt-6 flex flex-col gap-3 border-t border-border pt-6">
      <div>
        <h2 id={id} className="text-base font-semibold tracking-tight">
          Reviews from GitHub
        </h2>
        <p className="mt-0.5 text-xs text-muted">
          For everyone on this repository. A comment that starts with <code>{s?.mention ?? "@patchbay"} review</code> on a pull request
          always asks for a review; <code>{s?.mention ?? "@patchbay"} fix …</code> pushes a change to its branch.
        </p>
      </div>
      {query.isPending && (
        <p className="flex items-center gap-2 text-sm text-muted">
          <Spinner size={12} /> Loading…
        </p>
      )}
      {query.isError && <ErrorNote error={asClientError(query.error)} onRetry={() => void query.refetch()} />}
      {s && (
        <>
          {!s.webhooksConfigured && (
            <p className="text-xs text-muted">This server has no webhook secret (GITHUB_WEBHOOK_SECRET), so GitHub&rsquo;s events do not reach it yet.</p>
          )}
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              className="mt-0.5"
              checked={s.reviewOnRequest}
              disabled={!s.canChange || saving}
              onChange={(e) => void toggle(e.target.checked)}
            />
            <span>
              Review a pull request when a review is requested from {s.reviewers.map((r, i) => (
                <span key={r}>
                  {i > 0 && " or "}
                  <code>{r}</code>
                </span>
              ))}
              {!s.canChange && <span className="block text-xs text-muted">Only people with write access to {repoFullName} can change this.</span>}
            </span>
          </label>
        </>
      )}
      {error && <ErrorNote error={error} />}
    </section>
  );
}
