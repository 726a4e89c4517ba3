import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseQuery } from "@/lib/http";
import { readAttemptFile } from "@/lib/tasks/artifacts";
import { text } from "@/lib/text";

const params = z.object({ id: z.string().uuid("is not a task id"), attemptId: z.string().uuid("is not an attempt id") });
const query = z.object({ path: text().min(1, "is empty").max(1000) });

export const GET = jsonRoute(async (req, ctx: { params: Promise<{ id: string; attemptId: string }> }) => {
  const user = await requireApiUser();
  const { id, attemptId } = params.parse(await ctx.params);
  const { path } = parseQuery(req, query);
  return Response.json(await readAttemptFile({ userId: user.id, taskId: id, attemptId, path }));
});
