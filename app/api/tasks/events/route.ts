import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { boardEventStream } from "@/lib/events/user-stream";

export const dynamic = "force-dynamic";

/** The board, live: which of your tasks changed, as they change (every tab and device). */
export const GET = apiRoute(operations.taskListEvents, async ({ req, user }) => {
  const body = await boardEventStream({ userId: user.id, signal: req.signal });
  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
});
