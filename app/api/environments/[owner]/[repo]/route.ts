import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { getEnvironment, saveEnvironment } from "@/lib/environments/environments";
import { environmentInput } from "@/lib/environments/schemas";
import { jsonRoute, parseJson } from "@/lib/http";

const segment = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a valid GitHub name");
const params = z.object({ owner: segment, repo: segment });
type Ctx = { params: Promise<{ owner: string; repo: string }> };

export const GET = jsonRoute(async (_req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  return Response.json({ environment: await getEnvironment({ userId: user.id, repoFullName: `${owner}/${repo}` }) });
});

export const PUT = jsonRoute(async (req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  const input = await parseJson(req, environmentInput);
  return Response.json({ environment: await saveEnvironment({ userId: user.id, repoFullName: `${owner}/${repo}`, input }) });
});
