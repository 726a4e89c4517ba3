import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { startSetupTest } from "@/lib/environments/test-setup";
import { jsonRoute } from "@/lib/http";

const segment = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a valid GitHub name");
const params = z.object({ owner: segment, repo: segment });
type Ctx = { params: Promise<{ owner: string; repo: string }> };

/** Test setup: starts the saved setup script in a sandbox; its log streams at /api/tasks/<taskId>/events. */
export const POST = jsonRoute(async (_req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  return Response.json(await startSetupTest({ userId: user.id, repoFullName: `${owner}/${repo}` }), { status: 201 });
});
