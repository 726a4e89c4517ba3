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
    createdAt: string;
    updatedAt: string;
    finishedAt: string | null;
  };
  attempts: AttemptDTO[];
  turns: { seq: number; prompt: string; createdAt: string }[];
};

export const ACTIVE_STATUSES = ["queued", "preparing", "setup", "running", "finalizing"];
