import type { Fake } from "./context";
import type { Account, Installation, Pull, Repo } from "./state";

/** JSON shapes that follow GitHub's REST responses closely enough for Octokit and next-auth. */

export function accountJson(fake: Fake, a: Account) {
  const api = fake.apiUrl;
  const kind = a.type === "Organization" ? "orgs" : "users";
  return {
    login: a.login,
    id: a.id,
    node_id: Buffer.from(`04:${a.type}${a.id}`).toString("base64"),
    avatar_url: `${fake.webUrl}/avatars/u/${a.id}`,
    gravatar_id: "",
    url: `${api}/${kind}/${encodeURIComponent(a.login)}`,
    html_url: `${fake.webUrl}/${encodeURIComponent(a.login)}`,
    repos_url: `${api}/${kind}/${encodeURIComponent(a.login)}/repos`,
    type: a.type,
    site_admin: false,
  };
}

export function userJson(fake: Fake, u: Account) {
  const publicRepos = [...fake.state.repos.values()].filter((r) => r.owner.id === u.id && !r.private).length;
  return {
    ...accountJson(fake, u),
    name: u.name,
    company: null,
    blog: "",
    location: null,
    email: u.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: publicRepos,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: fake.state.createdAt,
    updated_at: fake.state.createdAt,
  };
}

export function repoJson(fake: Fake, r: Repo, permissions?: Record<string, boolean>) {
  const api = `${fake.apiUrl}/repos/${r.fullName}`;
  return {
    id: r.id,
    node_id: Buffer.from(`010:Repository${r.id}`).toString("base64"),
    name: r.name,
    full_name: r.fullName,
    private: r.private,
    owner: accountJson(fake, r.owner),
    html_url: `${fake.webUrl}/${r.fullName}`,
    description: r.description,
    fork: false,
    url: api,
    pulls_url: `${api}/pulls{/number}`,
    branches_url: `${api}/branches{/branch}`,
    git_url: `${fake.webUrl.replace(/^https?:/, "git:")}/${r.fullName}.git`,
    ssh_url: `git@${new URL(fake.webUrl).host}:${r.fullName}.git`,
    clone_url: `${fake.webUrl}/${r.fullName}.git`,
    homepage: null,
    size: 1,
    language: null,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    archived: false,
    disabled: false,
    visibility: r.private ? "private" : "public",
    default_branch: r.defaultBranch,
    topics: [],
    open_issues_count: fake.state.pulls.filter((p) => p.repoId === r.id && p.state === "open").length,
    created_at: fake.state.createdAt,
    updated_at: fake.state.createdAt,
    pushed_at: fake.state.createdAt,
    ...(permissions ? { permissions } : {}),
  };
}

export function installationJson(fake: Fake, i: Installation) {
  const app = fake.state.app;
  const isOrg = i.account.type === "Organization";
  return {
    id: i.id,
    account: accountJson(fake, i.account),
    app_id: app.id,
    app_slug: app.slug,
    client_id: app.clientId,
    target_id: i.account.id,
    target_type: i.account.type,
    repository_selection: i.repositorySelection,
    access_tokens_url: `${fake.apiUrl}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${fake.apiUrl}/installation/repositories`,
    html_url: isOrg
      ? `${fake.webUrl}/organizations/${i.account.login}/settings/installations/${i.id}`
      : `${fake.webUrl}/settings/installations/${i.id}`,
    permissions: i.permissions,
    events: ["issue_comment", "pull_request"],
    created_at: fake.state.createdAt,
    updated_at: fake.state.createdAt,
    single_file_name: null,
    suspended_at: null,
    suspended_by: null,
  };
}

export function appJson(fake: Fake) {
  const app = fake.state.app;
  const owner = [...fake.state.accounts.values()].find((a) => a.type === "Organization") ?? [...fake.state.users.values()][0];
  return {
    id: app.id,
    slug: app.slug,
    client_id: app.clientId,
    node_id: Buffer.from(`03:Integration${app.id}`).toString("base64"),
    owner: owner ? accountJson(fake, owner) : null,
    name: app.name,
    description: "A fake GitHub App for Patchbay's tests and demo.",
    external_url: fake.webUrl,
    html_url: `${fake.webUrl}/apps/${app.slug}`,
    created_at: fake.state.createdAt,
    updated_at: fake.state.createdAt,
    permissions: { contents: "write", pull_requests: "write", issues: "write", metadata: "read" },
    events: ["issue_comment", "pull_request"],
    installations_count: fake.state.installations.size,
  };
}

export function pullJson(fake: Fake, repo: Repo, p: Pull) {
  const api = `${fake.apiUrl}/repos/${repo.fullName}`;
  const html = `${fake.webUrl}/${repo.fullName}/pull/${p.number}`;
  const ref = (refName: string, sha: string) => ({
    label: `${repo.owner.login}:${refName}`,
    ref: refName,
    sha,
    user: accountJson(fake, repo.owner),
    repo: repoJson(fake, repo),
  });
  return {
    url: `${api}/pulls/${p.number}`,
    id: p.id,
    node_id: Buffer.from(`011:PullRequest${p.id}`).toString("base64"),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${p.number}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: accountJson(fake, p.user),
    body: p.body,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    labels: [],
    draft: p.draft,
    head: ref(p.headRef, p.headSha),
    base: ref(p.baseRef, p.baseSha),
    author_association: p.user.type === "Bot" ? "NONE" : "MEMBER",
    merged: false,
    mergeable: null,
    mergeable_state: "unknown",
    comments: 0,
    review_comments: 0,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}
