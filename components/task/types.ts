import type { EngineName } from "@/lib/engines/names";
import type { DiffStats, TaskStatus } from "@/components/board/types";

export type AttemptDTO = {
  id: string;
  index: number;
  status: string;
  turn: number;
  baseCommit: string | null;
  branchName: string | null;
  diffStats: DiffStats | null;
  hasDiff: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** Null when the model has no configured price: show tokens only. */
  costUsd: number | null;
  retryOf: string | null;
  prTurn: number | null;
  startedAt: string | null;
  finishedAt: string | null;
};

export type TaskDetailDTO = {
  task: {
    id: string;
    title: string;
    prompt: string;
    repoFullName: string;
    baseBranch: string;
    mode: "code" | "ask";
    status: TaskStatus;
    archived: boolean;
    engine: EngineName;
    attemptsCount: number;
    chosenAttemptId: string | null;
    diffStats: DiffStats | null;
    prUrl: string | null;
    prNumber: number | null;
    prState: string | null;
    prBranch: string | null;
    prBase: string | null;
    workedMs: number;
    createdAt: string;
    updatedAt: string;
    finishedAt: string | null;
  };
  attempts: AttemptDTO[];
  turns: TurnDTO[];
};

export type TurnDTO = {
  seq: number;
  prompt: string;
  createdAt: string;
  /** Ids of the attached images (GET /api/images/<id>). */
  images: string[];
  /** The attempt a follow-up continued; null for the first prompt (every attempt). */
  attemptId: string | null;
};

/** An attempt's status while its agent works (a message reaches it at its next step). */
export const WORKING_STATUSES = ["queued", "preparing", "setup", "running"];

export const ACTIVE_STATUSES = ["queued", "preparing", "setup", "running", "finalizing"];
