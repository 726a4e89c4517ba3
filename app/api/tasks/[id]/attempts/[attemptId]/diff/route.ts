import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute } from "@/lib/http";
import { getAttemptDiff } from "@/lib/tasks/artifacts";

const params = z.object({ id: z.string().uuid("is not a task id"), attemptId: z.string().uuid("is not an attempt id") });

export const GET = jsonRoute(async (req, ctx: { params: Promise<{ id: string; attemptId: string }> }) => {
  const user = await requireApiUser();
  const { id, attemptId } = params.parse(await ctx.params);
  const { diff, fileName } = await getAttemptDiff({ userId: user.id, taskId: id, attemptId });
  const download = new URL(req.url).searchParams.get("download") === "1";
  return new Response(diff, {
    headers: {
      "Content-Type": "text/x-diff; charset=utf-8",
      "Cache-Control": "no-store",
      ...(download ? { "Content-Disposition": `attachment; filename="${fileName}"` } : {}),
    },
  });
});
