import { randomBytes } from "node:crypto";
import type { Fixture, RepoSpec } from "./fixture";
import { bareRepoPath } from "./git-repos";
import { describeFault, type Fault } from "./faults";

export type Account = { login: string; id: number; type: "User" | "Organization" | "Bot"; name: string; email: string | null };

export type Installation = {
  id: number;
  account: Account;
  users: Set<string>;
  repositorySelection: "all" | "selected";
  permissions: Record<string, string>;
};

export type Repo = {
  id: number;
  owner: Account;
  name: string;
  fullName: string;
  private: boolean;
  description: string | null;
  defaultBranch: string;
  installationId: number;
  dir: string;
  spec: RepoSpec;
};

export type Pull = {
  id: number;
  number: number;
  repoId: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  draft: boolean;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  user: Account;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
};

/** An issue (pull requests share their numbers with issues, as on GitHub). */
export type Issue = {
  id: number;
  number: number;
  repoId: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  user: Account;
  createdAt: string;
  updatedAt: string;
};

/** A comment on an issue or on a pull request's conversation. */
export type IssueComment = {
  id: number;
  repoId: number;
  /** The issue's or pull request's number. */
  number: number;
  body: string;
  user: Account;
  createdAt: string;
  updatedAt: string;
};

export type ReviewComment = {
  id: number;
  reviewId: number;
  path: string;
  line: number;
  side: "LEFT" | "RIGHT";
  startLine: number | null;
  body: string;
  commitId: string;
  user: Account;
  createdAt: string;
};

export type Review = {
  id: number;
  repoId: number;
  number: number;
  user: Account;
  body: string | null;
  state: "COMMENTED" | "APPROVED" | "CHANGES_REQUESTED";
  commitId: string;
  submittedAt: string;
  comments: ReviewComment[];
};

export type Reaction = { id: number; repoId: number; commentId: number; content: string; user: Account; createdAt: string };

/** GitHub's repository roles; `permission` in the API folds maintain into write and triage into read. */
export type RepoRole = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export type Token =
  | { kind: "user"; token: string; login: string; expiresAt: number; revoked: boolean }
  | {
      kind: "installation";
      token: string;
      installationId: number;
      /** When the token was narrowed to some repositories at creation. */
      repoIds: Set<number> | null;
      permissions: Record<string, string>;
      expiresAt: number;
      revoked: boolean;
    };

export type RefreshToken = { token: string; login: string; expiresAt: number; used: boolean };
export type OAuthCode = { code: string; login: string; clientId: string; redirectUri: string; expiresAt: number; used: boolean };

/** Who a request acts as, after authentication. */
export type Principal =
  | { kind: "user"; user: Account; token: Token & { kind: "user" } }
  | { kind: "installation"; installation: Installation; token: Token & { kind: "installation" } }
  | { kind: "app" };

export const USER_TOKEN_TTL_S = 8 * 3600;
export const REFRESH_TOKEN_TTL_S = 184 * 24 * 3600;
export const INSTALLATION_TOKEN_TTL_S = 3600;
const FIXTURE_TIME = "2024-01-01T00:00:00Z";

/** All mutable state of the fake, rebuilt from the fixture by reset(). Tokens survive reset. */
export class FakeState {
  users = new Map<string, Account>();
  accounts = new Map<string, Account>();
  installations = new Map<number, Installation>();
  repos = new Map<string, Repo>();
  pulls: Pull[] = [];
  issues: Issue[] = [];
  comments: IssueComment[] = [];
  reviews: Review[] = [];
  reactions: Reaction[] = [];
  /** Explicit roles per repository id and lower-case login (set through the control API). */
  collaborators = new Map<number, Map<string, RepoRole>>();
  /** Requested reviewers per `${repoId}#${number}` (logins). */
  requestedReviewers = new Map<string, Set<string>>();
  faults: Fault[] = [];
  tokens = new Map<string, Token>();
  refreshTokens = new Map<string, RefreshToken>();
  codes = new Map<string, OAuthCode>();
  issued = { user: 0, installation: 0, refresh: 0 };
  private nextPullId = 900001;
  private nextObjectId = 5_000_001;

  constructor(
    readonly fixture: Fixture,
    readonly dataDir: string,
  ) {
    this.load();
  }

  get app() {
    return this.fixture.app;
  }

  /** The bot account that acts for installation tokens (PR authors etc.). */
  get botAccount(): Account {
    return { login: `${this.app.slug}[bot]`, id: 90000000 + this.app.id, type: "Bot", name: this.app.name, email: null };
  }

  readonly createdAt = FIXTURE_TIME;

  load(): void {
    const f = this.fixture;
    this.users.clear();
    this.accounts.clear();
    this.installations.clear();
    this.repos.clear();
    this.pulls = [];
    this.issues = [];
    this.comments = [];
    this.reviews = [];
    this.reactions = [];
    this.collaborators.clear();
    this.requestedReviewers.clear();
    this.faults = [];
    this.codes.clear();
    for (const u of f.users) {
      const acc: Account = { login: u.login, id: u.id, type: "User", name: u.name, email: u.email };
      this.users.set(u.login.toLowerCase(), acc);
      this.accounts.set(u.login.toLowerCase(), acc);
    }
    for (const o of f.orgs) {
      this.accounts.set(o.login.toLowerCase(), { login: o.login, id: o.id, type: "Organization", name: o.name ?? o.login, email: null });
    }
    for (const i of f.installations) {
      const account = this.accounts.get(i.account.toLowerCase());
      if (!account) throw new Error(`Fixture installation ${i.id}: unknown account ${i.account}`);
      this.installations.set(i.id, {
        id: i.id,
        account,
        users: new Set(i.users.map((u) => u.toLowerCase())),
        repositorySelection: i.repositorySelection,
        permissions: { ...i.permissions },
      });
    }
    for (const spec of f.repos) {
      const [ownerLogin, name] = spec.fullName.split("/");
      const owner = this.accounts.get(ownerLogin.toLowerCase());
      if (!owner) throw new Error(`Fixture repo ${spec.fullName}: unknown owner ${ownerLogin}`);
      this.repos.set(spec.fullName.toLowerCase(), {
        id: spec.id,
        owner,
        name,
        fullName: `${owner.login}/${name}`,
        private: spec.private,
        description: spec.description,
        defaultBranch: spec.defaultBranch,
        installationId: spec.installation,
        dir: bareRepoPath(this.dataDir, `${owner.login}/${name}`),
        spec,
      });
    }
  }

  findRepo(owner: string, name: string): Repo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  reposOfInstallation(id: number): Repo[] {
    return [...this.repos.values()].filter((r) => r.installationId === id).sort((a, b) => a.id - b.id);
  }

  installationsOfUser(login: string): Installation[] {
    return [...this.installations.values()].filter((i) => i.users.has(login.toLowerCase())).sort((a, b) => a.id - b.id);
  }

  /** Repos a principal can read. Every repo is visible only through its installation (public or not). */
  canRead(p: Principal, repo: Repo): boolean {
    if (p.kind === "user") return this.installations.get(repo.installationId)?.users.has(p.user.login.toLowerCase()) ?? false;
    if (p.kind === "installation") {
      return repo.installationId === p.installation.id && (p.token.repoIds === null || p.token.repoIds.has(repo.id));
    }
    return false;
  }

  /** Write access for an area such as "contents" or "pull_requests". Users who reach a repo may push. */
  canWrite(p: Principal, repo: Repo, area: string): boolean {
    if (!this.canRead(p, repo)) return false;
    if (p.kind === "installation") return ["write", "admin"].includes(p.token.permissions[area] ?? "");
    return p.kind === "user";
  }

  userPermissions(login: string, repo: Repo) {
    const admin = repo.owner.login.toLowerCase() === login.toLowerCase();
    return { admin, maintain: admin, push: true, triage: true, pull: true };
  }

  newPullId(): number {
    return this.nextPullId++;
  }

  /** Ids of comments, reviews, review comments, reactions and issues. */
  newId(): number {
    return this.nextObjectId++;
  }

  /** The next number of a repository: issues and pull requests share one sequence. */
  nextNumber(repoId: number): number {
    const used = [...this.pulls, ...this.issues].filter((x) => x.repoId === repoId).map((x) => x.number);
    return Math.max(0, ...used) + 1;
  }

  /**
   * A person's role on a repository: the one set through the control API, else admin for its owner, write for the
   * people of its installation, read for anyone else when it is public, none when private.
   */
  roleOf(login: string, repo: Repo): RepoRole {
    const key = login.toLowerCase();
    const explicit = this.collaborators.get(repo.id)?.get(key);
    if (explicit) return explicit;
    if (repo.owner.login.toLowerCase() === key) return "admin";
    if (this.installations.get(repo.installationId)?.users.has(key)) return "write";
    return repo.private ? "none" : "read";
  }

  newToken(prefix: string): string {
    // GitHub tokens are a prefix plus 36 base62 characters.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const bytes = randomBytes(36);
    let s = prefix;
    for (const b of bytes) s += alphabet[b % alphabet.length];
    return s;
  }

  issueUserToken(login: string): { access: Token & { kind: "user" }; refresh: RefreshToken } {
    const now = Date.now();
    const access = { kind: "user" as const, token: this.newToken("ghu_"), login, expiresAt: now + USER_TOKEN_TTL_S * 1000, revoked: false };
    const refresh = { token: this.newToken("ghr_"), login, expiresAt: now + REFRESH_TOKEN_TTL_S * 1000, used: false };
    this.tokens.set(access.token, access);
    this.refreshTokens.set(refresh.token, refresh);
    this.issued.user++;
    this.issued.refresh++;
    return { access, refresh };
  }

  issueInstallationToken(
    installation: Installation,
    repoIds: Set<number> | null,
    permissions: Record<string, string>,
  ): Token & { kind: "installation" } {
    const token = {
      kind: "installation" as const,
      token: this.newToken("ghs_"),
      installationId: installation.id,
      repoIds,
      permissions,
      expiresAt: Date.now() + INSTALLATION_TOKEN_TTL_S * 1000,
      revoked: false,
    };
    this.tokens.set(token.token, token);
    this.issued.installation++;
    return token;
  }

  /** Resolves a user or installation token; null when unknown, expired or revoked. */
  principalForToken(raw: string): Principal | null {
    const t = this.tokens.get(raw);
    if (!t || t.revoked || t.expiresAt <= Date.now()) return null;
    if (t.kind === "user") {
      const user = this.users.get(t.login.toLowerCase());
      return user ? { kind: "user", user, token: t } : null;
    }
    const installation = this.installations.get(t.installationId);
    return installation ? { kind: "installation", installation, token: t } : null;
  }

  /** Invalidates access tokens (all, or one user's); refresh tokens too when asked. Returns how many. */
  expireTokens(opts: { login?: string; installationId?: number; refreshTokens?: boolean } = {}): number {
    let n = 0;
    const all = opts.login === undefined && opts.installationId === undefined;
    for (const t of this.tokens.values()) {
      const match =
        all ||
        (t.kind === "user" && opts.login !== undefined && t.login.toLowerCase() === opts.login.toLowerCase()) ||
        (t.kind === "installation" && opts.installationId !== undefined && t.installationId === opts.installationId);
      if (match && !t.revoked) {
        t.revoked = true;
        n++;
      }
    }
    if (opts.refreshTokens) {
      for (const r of this.refreshTokens.values()) {
        if (opts.installationId === undefined && (opts.login === undefined || r.login.toLowerCase() === opts.login.toLowerCase())) r.used = true;
      }
    }
    return n;
  }

  summary() {
    const now = Date.now();
    const active = [...this.tokens.values()].filter((t) => !t.revoked && t.expiresAt > now);
    return {
      users: [...this.users.values()].map((u) => u.login),
      installations: [...this.installations.values()].map((i) => ({ id: i.id, account: i.account.login, users: [...i.users] })),
      repos: [...this.repos.values()].map((r) => r.fullName),
      pulls: this.pulls.map((p) => ({
        repo: [...this.repos.values()].find((r) => r.id === p.repoId)?.fullName,
        number: p.number,
        title: p.title,
        state: p.state,
        draft: p.draft,
        body: p.body,
        head: p.headRef,
        base: p.baseRef,
        user: p.user.login,
      })),
      tokens: {
        issued: { ...this.issued },
        active: {
          user: active.filter((t) => t.kind === "user").length,
          installation: active.filter((t) => t.kind === "installation").length,
        },
      },
      faults: this.faults.map(describeFault),
    };
  }
}
