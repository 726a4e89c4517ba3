import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";

/** Who is calling: for `patchbay login` to check a token and say whose it is. */
export const GET = apiRoute(operations.getToken, async ({ user }) =>
  Response.json({
    user: { id: user.id, login: user.githubLogin, name: user.name },
    token:
      user.via.kind === "token"
        ? { id: user.via.tokenId, name: user.via.tokenName, scopes: user.via.scopes, expiresAt: user.via.expiresAt.toISOString() }
        : null,
    rateLimit: user.via.kind === "token" ? user.via.rate : null,
  }),
);
