import "server-only";
import { AppError } from "@/lib/errors";
import { githubError, installAppAction } from "@/lib/github/errors";

type OctokitishError = {
  status?: number;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
};

/** GitHub's validation messages ("A pull request already exists for …"): written by GitHub, safe to show. */
export function validationMessages(err: unknown): string[] {
  const data = (err as OctokitishError)?.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const out: string[] = [];
  if (Array.isArray(data?.errors)) {
    for (const e of data.errors) {
      if (typeof e === "string") out.push(e);
      else if (e && typeof e === "object") {
        const { message, code, field } = e as { message?: unknown; code?: unknown; field?: unknown };
        if (typeof message === "string") out.push(message);
        else if (typeof field === "string") out.push(`${field} is ${typeof code === "string" ? code : "invalid"}`);
      }
    }
  }
  if (out.length === 0 && typeof data?.message === "string") out.push(data.message);
  return out.map((m) => m.slice(0, 300));
}

/** An installation token GitHub refused: not the person's sign-in, so not "sign in again". */
export function tokenError(err: unknown): AppError | null {
  if ((err as OctokitishError)?.status !== 401) return null;
  return new AppError(
    "github_token_rejected",
    "GitHub did not accept the GitHub App's access token. Try again; if it keeps failing, check the App's installation.",
    502,
    installAppAction(),
  );
}

/**
 * Octokit errors of the PR endpoints. The 422s GitHub answers on pulls get their own codes; the rest (rate
 * limit, GitHub down, …) go through githubError.
 */
export function pullRequestError(
  err: unknown,
  opts: { repoFullName: string; context: string; branch?: string; base?: string },
): AppError {
  if (err instanceof AppError) return err;
  const e = err as OctokitishError;
  const token = tokenError(err);
  if (token) return token;
  if (e?.status === 422) {
    const messages = validationMessages(err);
    const text = messages.join(" ");
    if (/already exists/i.test(text)) {
      return new AppError("pr_already_exists", `A pull request already exists for ${opts.branch ?? "this branch"}.`, 409);
    }
    if (/protected branch|GH006|branch protection/i.test(text)) {
      return new AppError(
        "branch_protected",
        `GitHub refused the pull request because of a branch protection rule on ${opts.repoFullName}: ${text}. Change the rule on GitHub and try again.`,
        409,
      );
    }
    if (/no commits between/i.test(text)) {
      return new AppError(
        "no_changes",
        `GitHub sees no changes between ${opts.base ?? "the base branch"} and ${opts.branch ?? "the branch"}: they may already be merged.`,
        409,
      );
    }
    if (/^base is invalid/i.test(text) || /\bbase\b.*invalid/i.test(text)) {
      return new AppError(
        "base_branch_gone",
        `The base branch ${opts.base ?? ""} is gone from ${opts.repoFullName}. Restore it on GitHub, or start a new task on another branch.`,
        409,
      );
    }
    return new AppError("pr_rejected", `GitHub refused the pull request${text ? `: ${text}` : ""}.`, 422);
  }
  const headers = e?.response?.headers ?? {};
  if (e?.status === 403 && String(headers["x-ratelimit-remaining"]) !== "0") {
    if (/rate limit/i.test(validationMessages(err).join(" "))) {
      // GitHub's secondary rate limit: a 403 whose remaining count is not 0.
      const after = Number(headers["retry-after"]);
      return new AppError(
        "github_rate_limited",
        `GitHub's rate limit was reached while ${opts.context}. Try again in ${after > 0 ? `${after} seconds` : "a minute"}.`,
        429,
      );
    }
    return new AppError(
      "github_no_pr_access",
      `The GitHub App cannot open pull requests on ${opts.repoFullName}: give it Pull requests: write permission, then try again.`,
      403,
      installAppAction(),
    );
  }
  return githubError(err, opts.context);
}
