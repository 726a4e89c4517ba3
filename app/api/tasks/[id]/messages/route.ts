import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { steerAttempt } from "@/lib/tasks/steer";

export const POST = apiRoute(operations.steerAttempt, async ({ user, params, body }) =>
  Response.json(await steerAttempt({ userId: user.id, taskId: params.id, attemptId: body.attemptId, text: body.text }), { status: 202 }),
);
