import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseJson } from "@/lib/http";
import { addFollowUp } from "@/lib/tasks/follow-up";
import { followUpInput, taskIdParam } from "@/lib/tasks/schemas";

export const POST = jsonRoute(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  const { prompt } = await parseJson(req, followUpInput);
  return Response.json(await addFollowUp({ userId: user.id, taskId: id, prompt }), { status: 201 });
});
