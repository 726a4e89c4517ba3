import { fetchJson } from "@/components/ui/fetch-json";

/** A repository and branch are warmed at most this often from one page (the runners hold the same limit). */
const WARM_EVERY_MS = 30_000;
const lastWarm = new Map<string, number>();

/**
 * Warm start: the composer picked a repository (or a branch of it), so the runners fetch its mirror and ready the
 * checkout while the person types. Fire-and-forget: a refusal or a network error changes nothing for them.
 */
export function warmRepo(fullName: string, branch: string, now = Date.now()): boolean {
  const key = `${fullName}\0${branch}`;
  if (now - (lastWarm.get(key) ?? -Infinity) < WARM_EVERY_MS) return false;
  lastWarm.set(key, now);
  // fetchJson: same-origin JSON, as the app requires of every state change.
  fetchJson(`/api/repos/${fullName}/warm`, { method: "POST", body: JSON.stringify({ branch }) }).catch(() => undefined);
  return true;
}
