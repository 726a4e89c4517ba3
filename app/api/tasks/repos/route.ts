import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { listTaskRepos } from "@/lib/tasks/list";

export const GET = apiRoute(operations.listTaskRepos, async ({ user }) => Response.json({ repos: await listTaskRepos({ userId: user.id }) }));
