import { createApiToken, createTokenInput, listApiTokens } from "@/lib/auth/api-tokens";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseJson } from "@/lib/http";

/** The settings page's token list. Session only: a token cannot list or make tokens. */
export const GET = jsonRoute(async () => {
  const user = await requireApiUser();
  return Response.json({ tokens: await listApiTokens({ userId: user.id }) }, { headers: { "Cache-Control": "no-store" } });
});

/** Makes a token; the answer is the only time the token itself is ever shown. */
export const POST = jsonRoute(async (req) => {
  const user = await requireApiUser();
  const input = await parseJson(req, createTokenInput);
  const { token, apiToken } = await createApiToken({ userId: user.id, input });
  return Response.json({ token, apiToken }, { status: 201, headers: { "Cache-Control": "no-store" } });
});
