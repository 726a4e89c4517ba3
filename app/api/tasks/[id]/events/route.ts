import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { taskEventBacklog, taskEventStream } from "@/lib/events/stream";
import { requireOwnTask } from "@/lib/tasks/access";
import { lastEventId } from "@/lib/tasks/schemas";

export const dynamic = "force-dynamic";

export const GET = apiRoute(operations.taskEvents, async ({ req, user, params, query }) => {
  const task = await requireOwnTask({ userId: user.id, taskId: params.id });
  const header = req.headers.get("last-event-id");
  const afterId = header ? lastEventId.parse(header) : (query.after ?? 0);
  const body =
    query.follow === "0"
      ? await taskEventBacklog({ taskId: task.id, afterId })
      : await taskEventStream({ taskId: task.id, afterId, signal: req.signal });
  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
});
