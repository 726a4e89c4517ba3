import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { getDb } from "@/db";
import { findSessionAndUser } from "@/db/queries/auth";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { authenticateToken, tokenRefused, type RateInfo } from "./api-tokens";
import { sessionCookieName } from "./cookies";
import type { ApiScope } from "./scopes";

export type SessionUser = {
  id: string;
  name: string | null;
  email: string | null;
  image: string | null;
  githubLogin: string | null;
};

/** Who is calling an API route, and how: a browser session, or a personal access token with its scopes. */
export type ApiCaller = SessionUser & {
  via: { kind: "session" } | { kind: "token"; tokenId: string; tokenName: string; scopes: ApiScope[]; expiresAt: Date; rate: RateInfo };
};

async function userOfSessionToken(token: string | undefined): Promise<SessionUser | null> {
  if (!token || token.length > 200) return null;
  const row = await findSessionAndUser(await getDb(), token);
  if (!row || row.session.expires.getTime() < Date.now()) return null;
  const { id, name, email, image, githubLogin } = row.user;
  return { id, name, email, image, githubLogin };
}

/**
 * The signed-in user from the database session cookie, or null. A cookie whose session expired or whose user was
 * deleted resolves to null, so the visitor is signed out.
 */
export async function getSessionUser(): Promise<SessionUser | null> {
  const jar = await cookies();
  return userOfSessionToken(jar.get(sessionCookieName(getEnv()))?.value);
}

/** For pages: the user, or a redirect to the sign-in page. */
export async function requirePageUser(): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect("/signin");
  return user;
}

const signIn = () => new AppError("unauthenticated", "Sign in to continue.", 401, { label: "Sign in", href: "/signin" });

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * For route handlers of the app's own pages (environments, the repository picker, token management): the session's
 * user, or a 401. A personal access token is refused here: tokens reach the task API only.
 */
export async function requireApiUser(): Promise<SessionUser> {
  if ((await headers()).get("authorization")) {
    throw new AppError(
      "token_not_accepted",
      "This endpoint is for Patchbay's own pages and does not take API tokens; tokens reach the task API (see /api/openapi.json).",
      403,
    );
  }
  const user = await getSessionUser();
  if (!user) throw signIn();
  return user;
}

function cookieValue(header: string | null, name: string): string | undefined {
  for (const pair of (header ?? "").split(";")) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || pair.slice(0, eq).trim() !== name) continue;
    const raw = pair.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/**
 * For the task API: a request that carries `Authorization` is authenticated by its Bearer token alone — its cookies
 * are never read, so a token can never act through a session — and must hold `scope` (null: any valid token).
 * Without `Authorization`, the session cookie, as on the app's pages (scopes are a token's limit; a session may do
 * everything its person may).
 */
export async function requireApiCaller({ req, scope }: { req: Request; scope: ApiScope | null }): Promise<ApiCaller> {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) {
    const match = BEARER.exec(authorization);
    if (!match) throw tokenRefused("invalid_token", "The Authorization header must be \"Bearer <token>\" with a Patchbay API token.");
    const { user, token, rate } = await authenticateToken({ token: match[1], scope });
    return {
      ...user,
      via: { kind: "token", tokenId: token.id, tokenName: token.name, scopes: token.scopes, expiresAt: token.expiresAt, rate },
    };
  }
  const user = await userOfSessionToken(cookieValue(req.headers.get("cookie"), sessionCookieName(getEnv())));
  if (!user) throw signIn();
  return { ...user, via: { kind: "session" } };
}
