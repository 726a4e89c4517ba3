import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { cancelTask } from "@/lib/tasks/cancel";

/** Stop: the attempt named in the body, or (no body) every attempt still working. */
export const POST = apiRoute(operations.cancelTask, async ({ user, params, body }) =>
  Response.json(await cancelTask({ userId: user.id, taskId: params.id, attemptId: body.attemptId })),
);
