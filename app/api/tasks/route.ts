import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseJson, parseQuery } from "@/lib/http";
import { createTask } from "@/lib/tasks/create";
import { boardQuery, listTasks } from "@/lib/tasks/list";
import { createTaskInput } from "@/lib/tasks/schemas";

export const GET = jsonRoute(async (req) => {
  const user = await requireApiUser();
  return Response.json(await listTasks({ userId: user.id, query: parseQuery(req, boardQuery) }));
});

export const POST = jsonRoute(async (req) => {
  const user = await requireApiUser();
  const input = await parseJson(req, createTaskInput);
  const { task, attempts } = await createTask({ userId: user.id, input });
  return Response.json({ task: { ...task, attempts: attempts.map((a) => ({ index: a.index, status: a.status })) } }, { status: 201 });
});
