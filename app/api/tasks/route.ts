import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { createTask } from "@/lib/tasks/create";
import { listTasks } from "@/lib/tasks/list";

export const GET = apiRoute(operations.listTasks, async ({ user, query }) => Response.json(await listTasks({ userId: user.id, query })));

export const POST = apiRoute(operations.createTask, async ({ user, body }) => {
  const { task, attempts } = await createTask({ userId: user.id, input: body });
  return Response.json({ task: { ...task, attempts: attempts.map((a) => ({ index: a.index, status: a.status })) } }, { status: 201 });
});
