import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseJson } from "@/lib/http";
import { createPullRequest, refreshPullRequestState } from "@/lib/pr/open";
import { taskIdParam } from "@/lib/tasks/schemas";

const body = z.object({ draft: z.boolean().optional() }).strict();

/** Create PR, or Update branch when the task already has one. */
export const POST = jsonRoute(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  const { draft } = await parseJson(req, body);
  return Response.json({ pr: await createPullRequest({ userId: user.id, taskId: id, draft: draft ?? false }) });
});

/** View PR: the PR's state refreshed from GitHub (404 when the task has none). */
export const GET = jsonRoute(async (_req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  return Response.json({ pr: await refreshPullRequestState({ userId: user.id, taskId: id }) });
});
