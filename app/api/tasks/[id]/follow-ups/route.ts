import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseJson } from "@/lib/http";
import { addFollowUp } from "@/lib/tasks/follow-up";
import { taskIdParam } from "@/lib/tasks/schemas";

const body = z.object({ prompt: z.string().trim().min(1, "is empty").max(20_000) });

export const POST = jsonRoute(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  const { prompt } = await parseJson(req, body);
  return Response.json(await addFollowUp({ userId: user.id, taskId: id, prompt }), { status: 201 });
});
