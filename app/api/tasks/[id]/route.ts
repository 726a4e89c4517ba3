import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { getTaskDetail } from "@/lib/tasks/detail";
import { chooseAttempt, deleteTask, setArchived } from "@/lib/tasks/manage";

export const GET = apiRoute(operations.getTask, async ({ user, params }) =>
  // A script reading a task has not "seen" it: only the task page marks it read.
  Response.json(await getTaskDetail({ userId: user.id, taskId: params.id, markViewed: user.via.kind === "session" })),
);

export const PATCH = apiRoute(operations.updateTask, async ({ user, params, body }) => {
  if (body.archived !== undefined) await setArchived({ userId: user.id, taskId: params.id, archived: body.archived });
  if (body.chosenAttemptId) await chooseAttempt({ userId: user.id, taskId: params.id, attemptId: body.chosenAttemptId });
  return Response.json(await getTaskDetail({ userId: user.id, taskId: params.id, markViewed: false }));
});

export const DELETE = apiRoute(operations.deleteTask, async ({ user, params }) => {
  await deleteTask({ userId: user.id, taskId: params.id });
  return new Response(null, { status: 204 });
});
