import { z } from "zod";
import { API_SCOPES } from "@/lib/auth/scopes";
import { ENGINE_NAMES } from "@/lib/engines/names";

/**
 * What the task API answers, as zod schemas: the OpenAPI document's response bodies, and what the API tests check
 * real answers against (so the document cannot drift from what the handlers return).
 */

const when = z.iso.datetime({ offset: true });
const uuid = z.string().uuid();

export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable, machine-readable reason, e.g. not_found, insufficient_scope, rate_limited." }),
      message: z.string().meta({ description: "What went wrong, in words to show a person." }),
      action: z.object({ label: z.string(), href: z.string() }).optional(),
    }),
  })
  .meta({ id: "Error" });

export const taskStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]).meta({ id: "TaskStatus" });
export const attemptStatus = z
  .enum(["queued", "preparing", "setup", "running", "finalizing", "succeeded", "failed", "cancelled", "timed_out"])
  .meta({ id: "AttemptStatus" });
export const diffStats = z.object({ files: z.number().int(), additions: z.number().int(), deletions: z.number().int() }).meta({ id: "DiffStats" });
const mode = z.enum(["code", "ask"]);
const engine = z.enum(ENGINE_NAMES).meta({ description: "Who works the task: the Patchbay agent, Codex CLI or Claude Code." });

export const taskSummary = z
  .object({
    id: uuid,
    title: z.string(),
    repoFullName: z.string(),
    baseBranch: z.string(),
    mode,
    status: taskStatus,
    archived: z.boolean(),
    attemptsCount: z.number().int(),
    diffStats: diffStats.nullable(),
    prUrl: z.string().nullable(),
    prNumber: z.number().int().nullable(),
    prState: z.string().nullable(),
    createdAt: when,
    updatedAt: when,
    finishedAt: when.nullable(),
    lastViewedAt: when.nullable(),
    workedMs: z.number().int().meta({ description: "How long the agent worked, over every turn (not queue time)." }),
    unread: z.boolean(),
    attempts: z.array(z.object({ index: z.number().int(), status: attemptStatus })),
  })
  .meta({ id: "TaskSummary" });

export const taskList = z.object({
  tasks: z.array(taskSummary),
  nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page." }),
});

export const createdTask = z.object({
  task: z
    .object({
      id: uuid,
      title: z.string(),
      prompt: z.string(),
      repoFullName: z.string(),
      baseBranch: z.string(),
      mode,
      status: taskStatus,
      attemptsCount: z.number().int(),
      createdAt: when,
      attempts: z.array(z.object({ index: z.number().int(), status: attemptStatus })),
    })
    .meta({ id: "CreatedTask" }),
});

export const attemptDetail = z
  .object({
    id: uuid,
    index: z.number().int().meta({ description: "0-based; people see index + 1 (Attempt 1, 2, …)." }),
    status: attemptStatus,
    turn: z.number().int(),
    baseCommit: z.string().nullable(),
    branchName: z.string().nullable(),
    diffStats: diffStats.nullable(),
    hasDiff: z.boolean(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    cachedInputTokens: z.number().int().meta({ description: "Of the input tokens, those served from the provider's prompt cache." }),
    reasoningTokens: z.number().int().meta({ description: "Of the output tokens, the reasoning ones." }),
    costUsd: z.number().nullable().meta({ description: "What the model calls cost in US dollars; null when the model has no configured price." }),
    retryOf: uuid.nullable().meta({ description: "The attempt this one retries (a new attempt from the first prompt)." }),
    prTurn: z.number().int().nullable().meta({ description: "The latest turn pushed to the pull request's branch." }),
    startedAt: when.nullable(),
    finishedAt: when.nullable(),
  })
  .meta({ id: "Attempt" });

export const taskDetail = z
  .object({
    task: z.object({
      id: uuid,
      title: z.string(),
      prompt: z.string(),
      repoFullName: z.string(),
      baseBranch: z.string(),
      mode,
      status: taskStatus,
      archived: z.boolean(),
      attemptsCount: z.number().int(),
      chosenAttemptId: uuid.nullable(),
      diffStats: diffStats.nullable(),
      prUrl: z.string().nullable(),
      prNumber: z.number().int().nullable(),
      prState: z.string().nullable(),
      prBranch: z.string().nullable(),
      prBase: z.string().nullable().meta({ description: "The branch the pull request merges into." }),
      workedMs: z.number().int().meta({ description: "How long the agent worked, over every turn (not queue time)." }),
      engine,
      createdAt: when,
      updatedAt: when,
      finishedAt: when.nullable(),
    }),
    attempts: z.array(attemptDetail),
    turns: z.array(
      z.object({
        seq: z.number().int(),
        prompt: z.string(),
        createdAt: when,
        images: z.array(uuid),
        attemptId: uuid.nullable().meta({ description: "The attempt a follow-up continued; null for the first prompt (every attempt)." }),
      }),
    ),
  })
  .meta({ id: "TaskDetail" });

export const taskRepos = z.object({ repos: z.array(z.string()) });

export const cancelResult = z.object({ cancelled: z.number().int().meta({ description: "Attempts that were stopped." }) });

export const followUpResult = z.object({ attemptId: uuid, turn: z.number().int() });

export const retryResult = z.object({
  attempt: z.object({ id: uuid, index: z.number().int(), status: attemptStatus, retryOf: uuid.nullable() }),
});

export const steerResult = z.object({ id: uuid, attemptId: uuid, queued: z.literal(true) });

export const pullRequest = z
  .object({
    pr: z.object({
      url: z.string(),
      number: z.number().int(),
      state: z.enum(["open", "draft", "closed", "merged"]),
      draft: z.boolean(),
      branch: z.string(),
      base: z.string().meta({ description: "The branch it merges into." }),
    }),
    push: z
      .object({
        commits: z.number().int().meta({ description: "Commits pushed by this request (0: the branch was up to date)." }),
        message: z.string().meta({ description: 'What happened, in words: "Pushed 1 commit to …", "Already up to date: …".' }),
      })
      .optional()
      .meta({ description: "Set by Create PR / Update branch." }),
  })
  .meta({ id: "PullRequest" });

export const attemptFile = z.object({ path: z.string(), content: z.string() });

export const taskEvent = z
  .object({
    id: z.number().int().meta({ description: "Also the SSE event id: send it back as Last-Event-ID to resume." }),
    attemptId: uuid,
    seq: z.number().int(),
    turn: z.number().int(),
    type: z.enum([
      "status",
      "log",
      "command",
      "message",
      "message_delta",
      "plan",
      "patch",
      "diff",
      "usage",
      "error",
      "network",
      "reasoning_delta",
      "reasoning",
      "retry",
      "compaction",
      "model",
      "steer",
    ]),
    payload: z.record(z.string(), z.unknown()),
    createdAt: when,
  })
  .meta({ id: "TaskEvent", description: "The `data` of each server-sent event, as JSON." });

export const tokenInfo = z.object({
  user: z.object({ id: uuid, login: z.string().nullable(), name: z.string().nullable() }),
  token: z
    .object({ id: uuid, name: z.string(), scopes: z.array(z.enum(API_SCOPES)), expiresAt: when })
    .nullable()
    .meta({ description: "Null when the request was authenticated by a session cookie." }),
  rateLimit: z.object({ limit: z.number().int(), remaining: z.number().int() }).nullable(),
});
