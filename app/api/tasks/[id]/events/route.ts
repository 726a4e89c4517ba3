import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute } from "@/lib/http";
import { taskEventStream } from "@/lib/events/stream";
import { requireOwnTask } from "@/lib/tasks/access";
import { taskIdParam } from "@/lib/tasks/schemas";

export const dynamic = "force-dynamic";

const cursor = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const GET = jsonRoute(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = taskIdParam.parse(await ctx.params);
  const task = await requireOwnTask({ userId: user.id, taskId: id });
  const url = new URL(req.url);
  const resumeFrom = req.headers.get("last-event-id") ?? url.searchParams.get("after") ?? "0";
  const afterId = cursor.parse(resumeFrom || "0");
  const body = await taskEventStream({ taskId: task.id, afterId, signal: req.signal });
  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
});
