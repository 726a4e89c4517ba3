import type { IncomingMessage } from "node:http";

export type Page<T> = { items: T[]; headers: Record<string, string> };

/**
 * Slices a list the way GitHub does (`per_page` ≤ 100, default 30; `page` from 1) and builds the
 * `Link` header (first/prev/next/last) that Octokit's paginate follows.
 */
export function paginate<T>(req: IncomingMessage, url: URL, all: T[]): Page<T> {
  const perPage = clampInt(url.searchParams.get("per_page"), 30, 1, 100);
  const page = clampInt(url.searchParams.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);

  const base = new URL(url.pathname + url.search, `http://${req.headers.host ?? "127.0.0.1"}`);
  const link = (p: number, rel: string) => {
    const u = new URL(base);
    u.searchParams.set("per_page", String(perPage));
    u.searchParams.set("page", String(p));
    return `<${u.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(Math.min(page - 1, lastPage), "prev"));
  if (page < lastPage) links.push(link(page + 1, "next"), link(lastPage, "last"));
  if (page > 1) links.push(link(1, "first"));
  return { items, headers: links.length ? { link: links.join(", ") } : {} };
}

function clampInt(raw: string | null, dflt: number, min: number, max: number): number {
  if (raw === null || !/^\d+$/.test(raw)) return dflt;
  return Math.min(max, Math.max(min, Number(raw)));
}
