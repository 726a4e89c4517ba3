import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { listRepoBranches } from "@/lib/github/repos";
import { jsonRoute } from "@/lib/http";

const segment = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a valid GitHub name");
const params = z.object({ owner: segment, repo: segment });

export const GET = jsonRoute(async (_req, ctx: { params: Promise<{ owner: string; repo: string }> }) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  const branches = await listRepoBranches({ userId: user.id, fullName: `${owner}/${repo}` });
  return Response.json({ branches });
});
