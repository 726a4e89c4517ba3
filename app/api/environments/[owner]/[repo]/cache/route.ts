import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { resetEnvironmentCache } from "@/lib/environments/environments";
import { jsonRoute } from "@/lib/http";

const segment = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a valid GitHub name");
const params = z.object({ owner: segment, repo: segment });
type Ctx = { params: Promise<{ owner: string; repo: string }> };

/** Reset cache: the next attempt runs the setup script again. */
export const DELETE = jsonRoute(async (_req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  return Response.json({ environment: await resetEnvironmentCache({ userId: user.id, repoFullName: `${owner}/${repo}` }) });
});
