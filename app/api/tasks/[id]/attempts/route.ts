import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { retryAttempt } from "@/lib/tasks/retry";

/** Retry: a new attempt of the same task. */
export const POST = apiRoute(operations.retryAttempt, async ({ user, params, body }) =>
  Response.json(await retryAttempt({ userId: user.id, taskId: params.id, attemptId: body.retryOf }), { status: 201 }),
);
