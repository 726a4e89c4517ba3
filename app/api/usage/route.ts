import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute } from "@/lib/http";
import { getUsage } from "@/lib/tasks/usage";

/** The signed-in person's model usage (tokens and cost), summed over their attempts. */
export const GET = jsonRoute(async () => {
  const user = await requireApiUser();
  return Response.json(await getUsage({ userId: user.id }));
});
