import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseJson } from "@/lib/http";
import { getTaskDetail } from "@/lib/tasks/detail";
import { chooseAttempt, deleteTask, setArchived } from "@/lib/tasks/manage";
import { taskIdParam } from "@/lib/tasks/schemas";

type Ctx = { params: Promise<{ id: string }> };

export const GET = jsonRoute(async (_req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  return Response.json(await getTaskDetail({ userId: user.id, taskId: id }));
});

const patchBody = z
  .object({ archived: z.boolean().optional(), chosenAttemptId: z.string().uuid().optional() })
  .refine((b) => b.archived !== undefined || b.chosenAttemptId !== undefined, "nothing to change");

export const PATCH = jsonRoute(async (req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  const body = await parseJson(req, patchBody);
  if (body.archived !== undefined) await setArchived({ userId: user.id, taskId: id, archived: body.archived });
  if (body.chosenAttemptId) await chooseAttempt({ userId: user.id, taskId: id, attemptId: body.chosenAttemptId });
  return Response.json(await getTaskDetail({ userId: user.id, taskId: id, markViewed: false }));
});

export const DELETE = jsonRoute(async (_req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  await deleteTask({ userId: user.id, taskId: id });
  return new Response(null, { status: 204 });
});
