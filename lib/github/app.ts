import "server-only";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/rest";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { githubError } from "./errors";
import { githubUrls } from "./urls";

let app: App | undefined;

function getApp(): App {
  if (app) return app;
  const env = getEnv();
  if (!env.GITHUB_APP_ID || !env.GITHUB_APP_PRIVATE_KEY) {
    throw new AppError(
      "github_app_not_configured",
      "The GitHub App is not configured on this server (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY).",
      500,
    );
  }
  app = new App({
    appId: env.GITHUB_APP_ID,
    privateKey: env.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, "\n"),
    Octokit: Octokit.defaults({ baseUrl: githubUrls(env).api, request: { retries: 0, timeout: 15_000 } }),
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  return app;
}

/**
 * A short-lived installation token for one repository: held by the runner and the app (clone, fetch, push, PRs),
 * never handed to a sandbox.
 */
export async function getRepoInstallationToken(repoFullName: string): Promise<{ token: string; expiresAt: string }> {
  const [owner, repo] = repoFullName.split("/");
  const a = getApp();
  try {
    const { data: installation } = await a.octokit.request("GET /repos/{owner}/{repo}/installation", { owner, repo });
    const { data } = await a.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: installation.id,
      repositories: [repo],
    });
    return { token: data.token, expiresAt: data.expires_at };
  } catch (err) {
    throw githubError(err, `getting access to ${repoFullName}`);
  }
}

export function repoGitUrl(repoFullName: string): string {
  return `${githubUrls(getEnv()).web}/${repoFullName}.git`;
}
