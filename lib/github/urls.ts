import type { Env } from "@/lib/env";

const trim = (url: string) => url.replace(/\/+$/, "");

/** Web (OAuth, git, html links) and REST addresses of the configured GitHub. */
export function githubUrls(env: Pick<Env, "GITHUB_URL" | "GITHUB_API_URL">) {
  return { web: trim(env.GITHUB_URL), api: trim(env.GITHUB_API_URL) };
}
