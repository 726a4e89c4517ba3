import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute } from "@/lib/http";
import { listTaskRepos } from "@/lib/tasks/list";

export const GET = jsonRoute(async () => {
  const user = await requireApiUser();
  return Response.json({ repos: await listTaskRepos({ userId: user.id }) });
});
