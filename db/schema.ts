import { sql } from "drizzle-orm";
import type { TaskEventType } from "../lib/events/event-types";
import type { EngineName } from "../lib/engines/names";
import type { ApiScope } from "../lib/auth/scopes";
import {
  customType,
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

// ---------- Auth.js (next-auth) tables ----------

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name"),
  email: text("email"),
  emailVerified: timestamp("email_verified", { withTimezone: true, mode: "date" }),
  image: text("image"),
  /** GitHub login and numeric id, kept for commit authorship (noreply email) and display. */
  githubLogin: text("github_login"),
  githubId: bigint("github_id", { mode: "number" }),
  createdAt: createdAt(),
});

export const accounts = pgTable(
  "accounts",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    provider: text("provider").notNull(),
    providerAccountId: text("provider_account_id").notNull(),
    /** OAuth tokens are stored encrypted (lib/crypto.ts), never in clear. */
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    expiresAt: integer("expires_at"),
    refreshTokenExpiresAt: integer("refresh_token_expires_at"),
    tokenType: text("token_type"),
    scope: text("scope"),
  },
  (t) => [primaryKey({ columns: [t.provider, t.providerAccountId] }), index("accounts_user_idx").on(t.userId)],
);

export const sessions = pgTable(
  "sessions",
  {
    sessionToken: text("session_token").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expires: timestamp("expires", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

// ---------- Domain ----------

export type InternetPolicy = "off" | "allowlist" | "on";
export type AllowlistPreset = "none" | "common";

export const environments = pgTable(
  "environments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    repoFullName: text("repo_full_name").notNull(),
    defaultBranch: text("default_branch").notNull(),
    setupScript: text("setup_script").notNull().default(""),
    maintenanceScript: text("maintenance_script").notNull().default(""),
    envVars: jsonb("env_vars").$type<Record<string, string>>().notNull().default({}),
    /** AES-GCM ciphertext of a JSON object; visible to the setup phase only. */
    secretsEncrypted: text("secrets_encrypted"),
    internetPolicy: text("internet_policy").$type<InternetPolicy>().notNull().default("off"),
    /** "common": the common package registries (lib/network/policy.ts) on top of allowedDomains. */
    allowlistPreset: text("allowlist_preset").$type<AllowlistPreset>().notNull().default("none"),
    allowedDomains: jsonb("allowed_domains").$type<string[]>().notNull().default([]),
    /** [] = every method; ["GET", "HEAD", "OPTIONS"] = read-only (plain HTTP only). */
    allowedMethods: jsonb("allowed_methods").$type<string[]>().notNull().default([]),
    /** The setup phase's own policy (it installs dependencies): on by default, same allowlist. */
    setupInternetPolicy: text("setup_internet_policy").$type<InternetPolicy>().notNull().default("on"),
    /** Bumped by "Reset cache": cache entries of older generations are never used again. */
    cacheGeneration: integer("cache_generation").notNull().default(0),
    setupTimeoutSeconds: integer("setup_timeout_seconds").notNull().default(1200),
    taskTimeoutSeconds: integer("task_timeout_seconds").notNull().default(1800),
    /** Who works this repository's tasks unless a task says otherwise; null: the server's PATCHBAY_DEFAULT_ENGINE. */
    engine: text("engine").$type<EngineName>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("environments_owner_repo_idx").on(t.ownerId, t.repoFullName)],
);

/**
 * A prepared environment kept on a runner's disk (the checkout after setup), so that later attempts on the same
 * key start without setup. One row per runner machine and key; the files live under that runner's data folder.
 */
export const environmentCaches = pgTable(
  "environment_caches",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    runnerHost: text("runner_host").notNull(),
    cacheKey: text("cache_key").notNull(),
    baseCommit: text("base_commit").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull().default(0),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("environment_caches_host_key_idx").on(t.runnerHost, t.cacheKey), index("environment_caches_env_idx").on(t.environmentId)],
);

/** "setup": an environment's Test setup run (the setup script alone, never on the board). */
export type TaskMode = "code" | "ask" | "setup";
export type AttemptStatus =
  | "queued"
  | "preparing"
  | "setup"
  | "running"
  | "finalizing"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "timed_out";
export type TaskStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type DiffStats = { files: number; additions: number; deletions: number };

export const tasks = pgTable(
  "tasks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id").references(() => environments.id, { onDelete: "set null" }),
    repoFullName: text("repo_full_name").notNull(),
    baseBranch: text("base_branch").notNull(),
    mode: text("mode").$type<TaskMode>().notNull(),
    title: text("title").notNull(),
    prompt: text("prompt").notNull(),
    attemptsCount: integer("attempts_count").notNull().default(1),
    /** The engine that works every attempt and follow-up of the task (lib/engines). */
    engine: text("engine").$type<EngineName>().notNull().default("patchbay"),
    status: text("status").$type<TaskStatus>().notNull().default("queued"),
    archived: boolean("archived").notNull().default(false),
    chosenAttemptId: uuid("chosen_attempt_id"),
    diffStats: jsonb("diff_stats").$type<DiffStats>(),
    prUrl: text("pr_url"),
    prNumber: integer("pr_number"),
    prState: text("pr_state"),
    prBranch: text("pr_branch"),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    lastViewedAt: timestamp("last_viewed_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** How long the agent worked, over every turn (from each turn's first step to its last, not queue time). */
    workedMs: integer("worked_ms").notNull().default(0),
    /** The branch the pull request merges into (chosen when it was opened; the task's branch by default). */
    prBase: text("pr_base"),
  },
  (t) => [
    index("tasks_owner_board_idx").on(t.ownerId, t.archived, t.createdAt.desc(), t.id.desc()),
    index("tasks_owner_repo_idx").on(t.ownerId, t.repoFullName),
  ],
);

export const attempts = pgTable(
  "attempts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    index: integer("index").notNull(),
    status: text("status").$type<AttemptStatus>().notNull().default("queued"),
    baseCommit: text("base_commit"),
    headCommit: text("head_commit"),
    /** The latest turn's snapshot of the checkout: a commit on base_commit in the attempt's host repository. */
    snapshotCommit: text("snapshot_commit"),
    branchName: text("branch_name"),
    diff: text("diff"),
    diffStats: jsonb("diff_stats").$type<DiffStats>(),
    summary: text("summary"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    /** Of the input tokens, those the provider served from its prompt cache (billed lower). */
    cachedInputTokens: integer("cached_input_tokens").notNull().default(0),
    /** Of the output tokens, the reasoning ones. */
    reasoningTokens: integer("reasoning_tokens").notNull().default(0),
    /** What the model calls cost, in US dollars, from the configured prices (null when the model has none). */
    costUsd: doublePrecision("cost_usd"),
    cancelRequested: boolean("cancel_requested").notNull().default(false),
    workspacePath: text("workspace_path"),
    queuedAt: timestamp("queued_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** The latest turn this attempt finished (0 = the first prompt); follow-ups add turns. */
    turn: integer("turn").notNull().default(0),
    /** The engine CLI's session (Codex thread id, Claude Code session id) that a follow-up resumes. */
    engineSession: text("engine_session"),
    /** The attempt this one retries (a new attempt of the same task, from the first prompt). */
    retryOf: uuid("retry_of"),
    /** The latest turn whose changes were pushed to the pull request's branch. */
    prTurn: integer("pr_turn"),
  },
  (t) => [uniqueIndex("attempts_task_index_idx").on(t.taskId, t.index), index("attempts_status_idx").on(t.status)],
);

export const turns = pgTable(
  "turns",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    prompt: text("prompt").notNull(),
    createdAt: createdAt(),
    /** The attempt a follow-up continues; null for the first prompt, which every attempt works. */
    attemptId: uuid("attempt_id"),
  },
  (t) => [uniqueIndex("turns_task_seq_idx").on(t.taskId, t.seq)],
);

export type { TaskEventType };

export const taskEvents = pgTable(
  "task_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    attemptId: uuid("attempt_id")
      .notNull()
      .references(() => attempts.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    turn: integer("turn").notNull().default(0),
    type: text("type").$type<TaskEventType>().notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("task_events_attempt_seq_idx").on(t.attemptId, t.seq), index("task_events_task_idx").on(t.taskId, t.id)],
);

// ---------- Work queue ----------

export type JobStatus = "queued" | "active" | "done" | "failed" | "cancelled";

/**
 * One unit of runner work: a turn of one attempt. Runners claim jobs with SELECT … FOR UPDATE SKIP LOCKED and hold
 * them by a lease they renew; a job whose lease ran out belongs to a runner that died (see lib/queue).
 */
export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    attemptId: uuid("attempt_id")
      .notNull()
      .references(() => attempts.id, { onDelete: "cascade" }),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    turn: integer("turn").notNull().default(0),
    status: text("status").$type<JobStatus>().notNull().default("queued"),
    runnerId: text("runner_id"),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("jobs_status_created_idx").on(t.status, t.createdAt), index("jobs_owner_status_idx").on(t.ownerId, t.status)],
);

// ---------- API access (personal access tokens) ----------

/**
 * A personal access token for the API and the CLI. Only the SHA-256 of the token is kept; the token itself is shown
 * once, when it is made. A revoked token keeps its row (so a request with it is told it was revoked) but is never
 * accepted again and leaves the settings list.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Hex SHA-256 of the whole token. */
    tokenHash: text("token_hash").notNull(),
    /** The token's first characters (`pbt_` and a few more), shown to tell tokens apart; far too short to use. */
    displayPrefix: text("display_prefix").notNull(),
    scopes: jsonb("scopes").$type<ApiScope[]>().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    /**
     * The rate limit, as a token bucket in its GCRA form: the theoretical arrival time of the next request. A request
     * is let in when that time is at most one burst ahead of now, and pushes it one interval further. Kept in the
     * database so that every web instance counts against the same bucket.
     */
    rateTat: timestamp("rate_tat", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("api_tokens_hash_idx").on(t.tokenHash), index("api_tokens_user_idx").on(t.userId, t.createdAt)],
);

// ---------- GitHub: webhook deliveries and the tasks they start ----------

export type GitHubDeliveryStatus = "queued" | "working" | "done" | "failed";

/**
 * A webhook delivery the App received, kept so that a replay is ignored: by its delivery id (X-GitHub-Delivery, which
 * GitHub's Redeliver keeps) and by what it is about (`dedupe_key`: the comment, the review request), since the
 * signature covers the body only and a recorded body could be sent again under another id. The row is also the
 * work queue: the endpoint answers at once, and a poller claims queued rows (with a lease) to do the GitHub calls.
 * The payload is dropped once the delivery is handled.
 */
export const githubDeliveries = pgTable(
  "github_deliveries",
  {
    id: text("id").primaryKey(),
    dedupeKey: text("dedupe_key").notNull(),
    event: text("event").notNull(),
    action: text("action"),
    payload: jsonb("payload").$type<Record<string, unknown>>(),
    status: text("status").$type<GitHubDeliveryStatus>().notNull().default("queued"),
    tries: integer("tries").notNull().default(0),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    error: text("error"),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("github_deliveries_dedupe_idx").on(t.dedupeKey), index("github_deliveries_status_idx").on(t.status, t.receivedAt)],
);

/** review: an Ask task whose answer becomes a GitHub review; fix: a Code task pushed to the PR's branch; issue: a Code task whose PR fixes the issue. */
export type GitHubTaskKind = "review" | "fix" | "issue";
export type GitHubLinkState = "waiting" | "posting" | "done" | "failed";

/**
 * A task started from GitHub: where it came from (the comment, or the pull request of a review request), who asked,
 * and what must happen on GitHub when it finishes (`state`: waiting for the task, posting the result, done).
 */
export const githubTaskLinks = pgTable(
  "github_task_links",
  {
    taskId: uuid("task_id")
      .primaryKey()
      .references(() => tasks.id, { onDelete: "cascade" }),
    kind: text("kind").$type<GitHubTaskKind>().notNull(),
    repoFullName: text("repo_full_name").notNull(),
    /** The pull request's or the number. */
    number: integer("number").notNull(),
    title: text("title").notNull(),
    /** The delivery that started the task: a retried delivery finds its task instead of starting another. */
    deliveryId: text("delivery_id").notNull(),
    /** The comment that asked (null for a review request). */
    commentId: bigint("comment_id", { mode: "number" }),
    /** Where the task links back to: the comment, or the pull request. */
    sourceUrl: text("source_url").notNull(),
    /** The GitHub login of the person who asked. */
    requestedBy: text("requested_by").notNull(),
    /** Review and fix: the pull request's branches when it was asked. */
    headRef: text("head_ref"),
    headSha: text("head_sha"),
    baseRef: text("base_ref"),
    state: text("state").$type<GitHubLinkState>().notNull().default("waiting"),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    /** What was posted: the review's or the pull request's URL. */
    resultUrl: text("result_url"),
    error: text("error"),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("github_task_links_state_idx").on(t.state), uniqueIndex("github_task_links_delivery_idx").on(t.deliveryId)],
);

/** Per repository (shared by everyone who uses it): whether a review requested from Patchbay starts a review. */
export const githubRepoSettings = pgTable("github_repo_settings", {
  /** owner/name in lower case. */
  repoFullName: text("repo_full_name").primaryKey(),
  reviewOnRequest: boolean("review_on_request").notNull().default(false),
  updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
  updatedAt: updatedAt(),
});

/**
 * Messages a person sends to an attempt while its agent works (steering): delivered to the agent at its next step,
 * recorded in the log where they landed.
 */
export const steerMessages = pgTable(
  "steer_messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    attemptId: uuid("attempt_id")
      .notNull()
      .references(() => attempts.id, { onDelete: "cascade" }),
    turn: integer("turn").notNull(),
    text: text("text").notNull(),
    createdAt: createdAt(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("steer_messages_pending_idx").on(t.attemptId, t.deliveredAt)],
);

/** Raw bytes (Postgres bytea; PGlite and node-postgres both hand back a Uint8Array/Buffer). */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

/**
 * Images a person attached to a prompt or a follow-up (PNG, JPEG, WebP; checked by content, size-capped). Uploaded
 * first (owner only), then attached to a task's turn when the task or follow-up is created; shown in the
 * conversation and sent to the model as image input.
 */
export const images = pgTable(
  "images",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    taskId: uuid("task_id").references(() => tasks.id, { onDelete: "cascade" }),
    turn: integer("turn"),
    position: integer("position").notNull().default(0),
    mime: text("mime").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    data: bytea("data").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("images_task_turn_idx").on(t.taskId, t.turn), index("images_owner_idx").on(t.ownerId, t.createdAt)],
);
