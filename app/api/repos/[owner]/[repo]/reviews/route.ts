import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { getReviewSettings, reviewSettingsInput, saveReviewSettings } from "@/lib/github-hooks/settings";
import { jsonRoute, parseJson } from "@/lib/http";

const segment = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a valid GitHub name");
const params = z.object({ owner: segment, repo: segment });
type Ctx = { params: Promise<{ owner: string; repo: string }> };

/** Reviews from GitHub for one repository: whether a review requested from Patchbay starts one. */
export const GET = jsonRoute(async (_req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  return Response.json({ settings: await getReviewSettings({ userId: user.id, repoFullName: `${owner}/${repo}` }) });
});

export const PUT = jsonRoute(async (req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  const input = await parseJson(req, reviewSettingsInput);
  return Response.json({ settings: await saveReviewSettings({ userId: user.id, repoFullName: `${owner}/${repo}`, input }) });
});
