import "server-only";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import { githubUrls } from "./urls";

type HttpishError = { status?: number; response?: { headers?: Record<string, string | number | undefined> } };

export function installAppAction() {
  const env = getEnv();
  if (!env.GITHUB_APP_SLUG) return undefined;
  return { label: "Install the GitHub App", href: `${githubUrls(env).web}/apps/${env.GITHUB_APP_SLUG}/installations/new` };
}

/**
 * Turns whatever Octokit or fetch threw into an AppError a person can act on. The original message is not passed
 * through: it may quote a URL with a token in it.
 */
export function githubError(err: unknown, context: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as HttpishError;
  const status = typeof e?.status === "number" ? e.status : 0;
  const headers = e?.response?.headers ?? {};
  const remaining = headers["x-ratelimit-remaining"];
  if (status === 401) {
    return new AppError("github_auth", "Your GitHub sign-in has expired or was revoked. Sign in again.", 401, {
      label: "Sign in again",
      href: "/signin?reauth=1",
    });
  }
  if (status === 429 || (status === 403 && String(remaining) === "0")) {
    const reset = Number(headers["x-ratelimit-reset"]);
    const retryAfter = Number(headers["retry-after"]);
    const seconds = retryAfter > 0 ? retryAfter : reset > 0 ? Math.max(1, reset - Math.floor(Date.now() / 1000)) : 60;
    const wait = seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
    return new AppError("github_rate_limited", `GitHub's rate limit was reached while ${context}. Try again in ${wait}.`, 429);
  }
  if (status === 403) {
    return new AppError(
      "github_forbidden",
      `GitHub refused access while ${context}. The GitHub App may lack a permission or not be installed on this repository.`,
      403,
      installAppAction(),
    );
  }
  if (status === 404) return new AppError("github_not_found", `GitHub did not find what was asked while ${context}.`, 404);
  if (status >= 500 || status === 0) {
    return new AppError("github_unavailable", `GitHub is not answering right now (while ${context}). Try again shortly.`, 502);
  }
  return new AppError("github_error", `GitHub answered ${status} while ${context}.`, 502);
}
