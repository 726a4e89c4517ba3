import "server-only";
import { getDb } from "@/db";
import { findAccountOfUser, updateAccountTokens } from "@/db/queries/auth";
import { decryptText, encryptText } from "@/lib/crypto";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { githubUrls } from "./urls";

const reauth = () =>
  new AppError("github_auth", "Your GitHub sign-in has expired. Sign in again.", 401, {
    label: "Sign in again",
    href: "/signin?reauth=1",
  });

/**
 * The user's GitHub token (a GitHub App user-to-server token). These expire after hours; when the stored one is
 * about to, it is refreshed with the refresh token and the new pair is stored sealed.
 */
export async function getUserGitHubToken(userId: string, opts: { forceRefresh?: boolean } = {}): Promise<string> {
  const db = await getDb();
  const account = await findAccountOfUser(db, userId, "github");
  if (!account?.accessToken) throw reauth();
  const now = Math.floor(Date.now() / 1000);
  const fresh = !account.expiresAt || account.expiresAt - 60 > now;
  if (fresh && !opts.forceRefresh) return decryptText(account.accessToken);
  if (!account.refreshToken || (account.refreshTokenExpiresAt && account.refreshTokenExpiresAt < now)) throw reauth();

  const env = getEnv();
  const res = await fetch(`${githubUrls(env).web}/login/oauth/access_token`, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({
      client_id: env.GITHUB_CLIENT_ID,
      client_secret: env.GITHUB_CLIENT_SECRET,
      grant_type: "refresh_token",
      refresh_token: decryptText(account.refreshToken),
    }),
    signal: AbortSignal.timeout(15_000),
  }).catch(() => null);
  const body = res?.ok ? ((await res.json()) as Record<string, unknown>) : null;
  if (!body || typeof body.access_token !== "string") throw reauth();
  await updateAccountTokens(db, account, {
    accessToken: encryptText(body.access_token),
    refreshToken: typeof body.refresh_token === "string" ? encryptText(body.refresh_token) : account.refreshToken,
    expiresAt: typeof body.expires_in === "number" ? now + body.expires_in : null,
    refreshTokenExpiresAt:
      typeof body.refresh_token_expires_in === "number" ? now + body.refresh_token_expires_in : account.refreshTokenExpiresAt,
  });
  return body.access_token;
}

/**
 * Runs a GitHub call with the user's token; when GitHub says the token is bad (revoked or expired early), the
 * token is refreshed once and the call retried, so the person only signs in again when the refresh fails too.
 */
export async function withUserGitHubToken<T>(userId: string, call: (token: string) => Promise<T>): Promise<T> {
  try {
    return await call(await getUserGitHubToken(userId));
  } catch (err) {
    if ((err as { status?: number }).status !== 401) throw err;
    return call(await getUserGitHubToken(userId, { forceRefresh: true }));
  }
}
