/** Branch names and commit identities for the commits Patchbay makes. Pure functions. */

export const MAX_SLUG = 40;

/** Lowercase a-z0-9 words joined by dashes, at most 40 characters, never empty. */
export function slugify(title: string): string {
  const words = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = "";
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > MAX_SLUG) {
      if (!slug) slug = w.slice(0, MAX_SLUG);
      break;
    }
    slug = next;
  }
  return slug || "task";
}

/** `<prefix>/<slug>-<first 8 of the task id>`, with `-2`, `-3`, … when an earlier name was taken. */
export function branchNameFor(opts: { prefix: string; title: string; taskId: string; n?: number }): string {
  const base = `${opts.prefix}/${slugify(opts.title)}-${opts.taskId.replace(/-/g, "").slice(0, 8)}`;
  return opts.n && opts.n > 1 ? `${base}-${opts.n}` : base;
}

export type GitIdentity = { name: string; email: string };

/** git refuses (or mangles) names and emails with angle brackets or line breaks. */
function clean(s: string): string {
  return s.replace(/[<>\r\n\0]/g, "").trim();
}

/** users.noreply.<host of GITHUB_URL> (users.noreply.github.com on github.com). */
export function noreplyDomain(githubWebUrl: string): string {
  const host = new URL(githubWebUrl).hostname.replace(/^www\./, "");
  return `users.noreply.${host}`;
}

/** The signed-in person as GitHub shows them: their name and their noreply address `<id>+<login>@…`. */
export function authorIdentity(
  user: { name: string | null; githubLogin: string | null; githubId: number | null },
  githubWebUrl: string,
): GitIdentity | null {
  const login = user.githubLogin ? clean(user.githubLogin) : "";
  if (!login) return null;
  const domain = noreplyDomain(githubWebUrl);
  const email = user.githubId ? `${user.githubId}+${login}@${domain}` : `${login}@${domain}`;
  return { name: clean(user.name ?? "") || login, email };
}

export function patchbayIdentity(githubWebUrl: string): GitIdentity {
  return { name: "Patchbay", email: `patchbay@${noreplyDomain(githubWebUrl)}` };
}
