import "server-only";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { octokitFor } from "./client";
import { githubError, installAppAction } from "./errors";
import { withUserGitHubToken } from "./user-token";

export type RepoSummary = {
  fullName: string;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  installationId: number;
  htmlUrl: string;
  pushedAt: string | null;
};

export type BranchSummary = { name: string; isDefault: boolean; protected: boolean };

type CacheEntry = { at: number; repos: RepoSummary[] };
// Listing across installations can take many requests; a short per-user cache keeps the picker instant.
const cache = new Map<string, CacheEntry>();
const inflight = new Map<string, Promise<RepoSummary[]>>();

async function fetchUserRepos(userId: string): Promise<RepoSummary[]> {
  try {
    return await withUserGitHubToken(userId, (token) => listReposWithToken(token));
  } catch (err) {
    throw githubError(err, "listing your repositories");
  }
}

async function listReposWithToken(token: string): Promise<RepoSummary[]> {
  const octokit = octokitFor(token);
  const installations = await octokit.paginate(octokit.rest.apps.listInstallationsForAuthenticatedUser, { per_page: 100 });
  const repos: RepoSummary[] = [];
  for (const inst of installations) {
    const list = await octokit.paginate(octokit.rest.apps.listInstallationReposForAuthenticatedUser, {
      installation_id: inst.id,
      per_page: 100,
    });
    for (const r of list) {
      repos.push({
        fullName: r.full_name,
        owner: r.owner.login,
        name: r.name,
        private: r.private,
        defaultBranch: r.default_branch ?? "main",
        installationId: inst.id,
        htmlUrl: r.html_url,
        pushedAt: r.pushed_at ?? null,
      });
    }
  }
  const seen = new Set<string>();
  return repos
    .filter((r) => (seen.has(r.fullName) ? false : (seen.add(r.fullName), true)))
    .sort((a, b) => a.fullName.localeCompare(b.fullName));
}

/** Repositories the user can reach through the App's installations (all pages), cached briefly per user. */
export async function listUserRepos({ userId, refresh = false }: { userId: string; refresh?: boolean }) {
  const ttlMs = getEnv().GITHUB_REPO_CACHE_SECONDS * 1000;
  const hit = cache.get(userId);
  if (!refresh && hit && Date.now() - hit.at < ttlMs) return { repos: hit.repos, cachedAt: new Date(hit.at).toISOString() };
  let pending = inflight.get(userId);
  if (!pending) {
    pending = fetchUserRepos(userId).finally(() => inflight.delete(userId));
    inflight.set(userId, pending);
  }
  const repos = await pending;
  const at = Date.now();
  cache.set(userId, { at, repos });
  return { repos, cachedAt: new Date(at).toISOString() };
}

/** The repository if the user can reach it, else a 404 (never reveal whether a repo exists). */
export async function requireUserRepo({ userId, fullName }: { userId: string; fullName: string }): Promise<RepoSummary> {
  const { repos } = await listUserRepos({ userId });
  let repo = repos.find((r) => r.fullName.toLowerCase() === fullName.toLowerCase());
  if (!repo) repo = (await listUserRepos({ userId, refresh: true })).repos.find((r) => r.fullName.toLowerCase() === fullName.toLowerCase());
  if (!repo) {
    throw new AppError("repo_not_found", `${fullName} is not among the repositories the GitHub App can reach for you.`, 404, installAppAction());
  }
  return repo;
}

export async function listRepoBranches({ userId, fullName }: { userId: string; fullName: string }): Promise<BranchSummary[]> {
  const repo = await requireUserRepo({ userId, fullName });
  try {
    const branches = await withUserGitHubToken(userId, (token) => {
      const octokit = octokitFor(token);
      return octokit.paginate(octokit.rest.repos.listBranches, { owner: repo.owner, repo: repo.name, per_page: 100 });
    });
    return branches
      .map((b) => ({ name: b.name, isDefault: b.name === repo.defaultBranch, protected: b.protected }))
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
  } catch (err) {
    throw githubError(err, `listing the branches of ${repo.fullName}`);
  }
}

export function noInstallationsHint() {
  return installAppAction();
}
