import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute } from "@/lib/http";
import { cancelTask } from "@/lib/tasks/cancel";
import { taskIdParam } from "@/lib/tasks/schemas";

export const POST = jsonRoute(async (_req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  return Response.json(await cancelTask({ userId: user.id, taskId: id }));
});
