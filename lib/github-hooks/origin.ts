import "server-only";
import { getDb } from "@/db";
import { findTaskLink } from "@/db/queries/github-hooks";
import { requireOwnTask } from "@/lib/tasks/access";

export type TaskOrigin = {
  kind: "review" | "fix" | "issue";
  /** The comment (or the pull request of a review request) the task came from. */
  url: string;
  repoFullName: string;
  number: number;
  title: string;
  requestedBy: string;
  viaComment: boolean;
  /** What was posted back: the review, or the pull request. */
  resultUrl: string | null;
  state: "waiting" | "posting" | "done" | "failed";
};

/** Where on GitHub the user's task was asked for, or null when it was started in Patchbay (404 when not theirs). */
export async function getTaskOrigin({ userId, taskId }: { userId: string; taskId: string }): Promise<TaskOrigin | null> {
  await requireOwnTask({ userId, taskId });
  const link = await findTaskLink(await getDb(), taskId);
  if (!link) return null;
  return {
    kind: link.kind,
    url: link.sourceUrl,
    repoFullName: link.repoFullName,
    number: link.number,
    title: link.title,
    requestedBy: link.requestedBy,
    viaComment: link.commentId !== null,
    resultUrl: link.resultUrl,
    state: link.state,
  };
}
