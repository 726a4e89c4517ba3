export type TaskStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type DiffStats = { files: number; additions: number; deletions: number };

export type BoardTask = {
  id: string;
  title: string;
  repoFullName: string;
  baseBranch: string;
  mode: "code" | "ask";
  status: TaskStatus;
  archived: boolean;
  attemptsCount: number;
  diffStats: DiffStats | null;
  prUrl: string | null;
  prNumber: number | null;
  prState: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** How long the agent worked, over every turn (0 until the task first finishes). */
  workedMs: number;
  unread: boolean;
  attempts: { index: number; status: string }[];
  /** Shown at once while the server creates the task. */
  optimistic?: boolean;
};

export type BoardPage = { tasks: BoardTask[]; nextCursor: string | null };
