import { z } from "zod";
import { getDbHandle } from "@/db";
import { requireApiUser } from "@/lib/auth/session";
import { requireUserRepo } from "@/lib/github/repos";
import { jsonRoute, parseJson } from "@/lib/http";
import { notifyWarm } from "@/lib/queue/notify";
import { text } from "@/lib/text";

const segment = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a valid GitHub name");
const params = z.object({ owner: segment, repo: segment });
const body = z.object({ branch: text().min(1).max(255).optional() });
type Ctx = { params: Promise<{ owner: string; repo: string }> };

/** Warm start: the composer picked this repository; runners ready its mirror and checkout. Answers at once. */
export const POST = jsonRoute(async (req, ctx: Ctx) => {
  const user = await requireApiUser();
  const { owner, repo } = params.parse(await ctx.params);
  const { branch } = await parseJson(req, body);
  const found = await requireUserRepo({ userId: user.id, fullName: `${owner}/${repo}` });
  await notifyWarm(await getDbHandle(), { repoFullName: found.fullName, branch: branch ?? found.defaultBranch, userId: user.id });
  return new Response(null, { status: 202 });
});
