import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { readAttemptFile } from "@/lib/tasks/artifacts";

export const GET = apiRoute(operations.getAttemptFile, async ({ user, params, query }) =>
  Response.json(await readAttemptFile({ userId: user.id, taskId: params.id, attemptId: params.attemptId, path: query.path })),
);
