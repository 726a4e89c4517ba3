import { revokeApiToken, tokenIdParam } from "@/lib/auth/api-tokens";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute } from "@/lib/http";

/** Revokes one of the person's tokens: every request with it is refused from now on. */
export const DELETE = jsonRoute(async (_req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = tokenIdParam.parse(await ctx.params);
  await revokeApiToken({ userId: user.id, tokenId: id });
  return new Response(null, { status: 204 });
});
