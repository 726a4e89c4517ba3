import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { createPullRequest, refreshPullRequestState } from "@/lib/pr/open";

/** Create PR, or Update branch when the task already has one — from the attempt named (the one on screen). */
export const POST = apiRoute(operations.createPullRequest, async ({ user, params, body }) => {
  const { push, ...pr } = await createPullRequest({
    userId: user.id,
    taskId: params.id,
    draft: body.draft ?? false,
    attemptId: body.attemptId,
    base: body.base,
  });
  return Response.json({ pr, ...(push ? { push } : {}) });
});

/** View PR: the PR's state refreshed from GitHub (404 when the task has none). */
export const GET = apiRoute(operations.getPullRequest, async ({ user, params }) =>
  Response.json({ pr: await refreshPullRequestState({ userId: user.id, taskId: params.id }) }),
);
