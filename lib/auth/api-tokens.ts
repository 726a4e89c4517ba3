import "server-only";
import crypto from "node:crypto";
import { z } from "zod";
import { getDb } from "@/db";
import {
  countActiveApiTokens,
  findApiTokenByHash,
  insertApiToken,
  listUserApiTokens,
  revokeUserApiToken,
  takeRateSlot,
  type ApiTokenRow,
} from "@/db/queries/api-tokens";
import { getEnv, type Env } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";
import { text } from "@/lib/text";
import { API_SCOPES, TOKEN_PREFIX, type ApiScope } from "./scopes";

/** A person may hold this many live tokens at once (revoked and expired ones do not count). */
export const MAX_ACTIVE_TOKENS = 50;

const TOKEN_PATTERN = /^pbt_[A-Za-z0-9_-]{43}$/;

export const createTokenInput = z
  .object({
    name: text().trim().min(1, "is empty").max(100, "is longer than 100 characters"),
    scopes: z
      .array(z.enum(API_SCOPES))
      .min(1, "choose at least one scope")
      .refine((s) => new Set(s).size === s.length, "lists a scope twice"),
    expiresInDays: z.number().int().min(1).max(365),
  })
  .strict();
export type CreateTokenInput = z.infer<typeof createTokenInput>;

export const tokenIdParam = z.object({ id: z.string().uuid("is not a token id") });

/** A token as the settings page and the API show it: never the token itself, never its hash. */
export type ApiTokenView = {
  id: string;
  name: string;
  displayPrefix: string;
  scopes: ApiScope[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  expired: boolean;
};

export function tokenView(row: ApiTokenRow, now = Date.now()): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    displayPrefix: row.displayPrefix,
    scopes: row.scopes,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expired: row.expiresAt.getTime() <= now,
  };
}

export const hashToken = (token: string) => crypto.createHash("sha256").update(token, "utf8").digest("hex");

/** 256 random bits behind a recognisable prefix: `pbt_` + 43 base64url characters. */
export function generateToken(): string {
  return TOKEN_PREFIX + crypto.randomBytes(32).toString("base64url");
}

export async function createApiToken({ userId, input }: { userId: string; input: CreateTokenInput }) {
  const db = await getDb();
  if ((await countActiveApiTokens(db, userId)) >= MAX_ACTIVE_TOKENS) {
    throw new AppError("too_many_tokens", `You have ${MAX_ACTIVE_TOKENS} active tokens; revoke one before making another.`, 409);
  }
  const token = generateToken();
  const row = await insertApiToken(db, {
    userId,
    name: input.name,
    tokenHash: hashToken(token),
    displayPrefix: token.slice(0, TOKEN_PREFIX.length + 6),
    // Stored in the canonical order, whatever order they were ticked in.
    scopes: API_SCOPES.filter((s) => input.scopes.includes(s)),
    expiresAt: new Date(Date.now() + input.expiresInDays * 86_400_000),
  });
  return { token, apiToken: tokenView(row) };
}

export async function listApiTokens({ userId }: { userId: string }): Promise<ApiTokenView[]> {
  const now = Date.now();
  return (await listUserApiTokens(await getDb(), userId)).map((r) => tokenView(r, now));
}

export async function revokeApiToken({ userId, tokenId }: { userId: string; tokenId: string }): Promise<void> {
  if (!(await revokeUserApiToken(await getDb(), userId, tokenId))) throw notFound("No such token.");
}

export type RateInfo = { limit: number; remaining: number };

export type TokenCaller = {
  user: { id: string; name: string | null; email: string | null; image: string | null; githubLogin: string | null };
  token: { id: string; name: string; scopes: ApiScope[]; expiresAt: Date };
  rate: RateInfo;
};

const SETTINGS = { label: "Manage tokens", href: "/settings/tokens" };

/** A 401 as RFC 6750 has it: the client learns that a Bearer token is expected, and why this one was not taken. */
export function tokenRefused(code: string, message: string): AppError {
  // A header value is ASCII: "Settings → API tokens" becomes "Settings > API tokens", a token's name loses accents.
  const description = message.replace(/→/g, ">").replace(/[^\x20-\x7e]|["\\]/g, "");
  return new AppError(code, message, 401, SETTINGS, {
    "WWW-Authenticate": `Bearer realm="patchbay", error="invalid_token", error_description="${description}"`,
  });
}

export function rateLimitOf(env: Pick<Env, "API_RATE_LIMIT_PER_MINUTE" | "API_RATE_LIMIT_BURST">) {
  return { intervalMs: 60_000 / env.API_RATE_LIMIT_PER_MINUTE, burst: env.API_RATE_LIMIT_BURST };
}

/**
 * The user behind a Bearer token, after its checks: known, not revoked, not expired, within its rate limit, and
 * holding `scope` (null: any valid token). Every accepted request moves "last used".
 */
export async function authenticateToken({ token, scope }: { token: string; scope: ApiScope | null }): Promise<TokenCaller> {
  if (!TOKEN_PATTERN.test(token)) {
    throw tokenRefused("invalid_token", "This is not a Patchbay API token (they start with pbt_). Create one under Settings → API tokens.");
  }
  const db = await getDb();
  const found = await findApiTokenByHash(db, hashToken(token));
  if (!found) throw tokenRefused("invalid_token", "This API token is not known. It may have been deleted; create a new one under Settings → API tokens.");
  const { token: row, user } = found;
  if (row.revokedAt) throw tokenRefused("token_revoked", `The API token "${row.name}" was revoked. Create a new one under Settings → API tokens.`);
  if (row.expiresAt.getTime() <= Date.now()) {
    throw tokenRefused("token_expired", `The API token "${row.name}" expired on ${row.expiresAt.toISOString().slice(0, 10)}. Create a new one under Settings → API tokens.`);
  }

  const env = getEnv();
  const limit = rateLimitOf(env);
  const decision = await takeRateSlot(db, row.id, limit);
  if (!decision.allowed) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new AppError(
      "rate_limited",
      `Too many requests with this token: the limit is ${env.API_RATE_LIMIT_PER_MINUTE} a minute (bursts of ${env.API_RATE_LIMIT_BURST}). Try again in ${seconds} s.`,
      429,
      undefined,
      { "Retry-After": String(seconds), "X-RateLimit-Limit": String(env.API_RATE_LIMIT_BURST), "X-RateLimit-Remaining": "0" },
    );
  }
  if (scope && !row.scopes.includes(scope)) {
    throw new AppError(
      "insufficient_scope",
      `The API token "${row.name}" lacks the ${scope} scope that this request needs (it has ${row.scopes.join(", ")}). Create a token with ${scope} under Settings → API tokens.`,
      403,
      SETTINGS,
      { "WWW-Authenticate": `Bearer realm="patchbay", error="insufficient_scope", scope="${scope}"` },
    );
  }
  const { id, name, email, image, githubLogin } = user;
  return {
    user: { id, name, email, image, githubLogin },
    token: { id: row.id, name: row.name, scopes: row.scopes, expiresAt: row.expiresAt },
    rate: { limit: env.API_RATE_LIMIT_BURST, remaining: decision.remaining },
  };
}
