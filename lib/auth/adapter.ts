import "server-only";
import type { Adapter, AdapterAccount, AdapterUser } from "next-auth/adapters";
import type { Db } from "@/db";
import * as q from "@/db/queries/auth";
import { encryptText } from "@/lib/crypto";

type GitHubUserFields = { githubLogin?: string | null; githubId?: number | null };

function toAdapterUser(row: q.UserRow): AdapterUser {
  return {
    id: row.id,
    name: row.name,
    email: row.email ?? "",
    emailVerified: row.emailVerified,
    image: row.image,
  };
}

const seal = (value: unknown) => (typeof value === "string" && value ? encryptText(value) : null);
const int = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? Math.floor(value) : null);

/** Account fields from an OAuth callback, with tokens sealed before they reach the database. */
export function accountTokens(account: Record<string, unknown>) {
  const refreshIn = int(account.refresh_token_expires_in);
  return {
    accessToken: seal(account.access_token),
    refreshToken: seal(account.refresh_token),
    expiresAt: int(account.expires_at),
    refreshTokenExpiresAt: refreshIn ? Math.floor(Date.now() / 1000) + refreshIn : null,
  };
}

/**
 * next-auth v4 adapter over our drizzle queries. Every method is listed explicitly (see DESIGN.md §5):
 * the database-session strategy needs all of them, and email sign-in (verification tokens) is not offered.
 */
export function patchbayAdapter(getDb: () => Promise<Db>): Adapter {
  return {
    async createUser(user: Omit<AdapterUser, "id"> & GitHubUserFields) {
      const row = await q.insertUser(await getDb(), {
        name: user.name ?? null,
        email: user.email || null,
        emailVerified: user.emailVerified ?? null,
        image: user.image ?? null,
        githubLogin: user.githubLogin ?? null,
        githubId: user.githubId ?? null,
      });
      return toAdapterUser(row);
    },
    async getUser(id) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
      const row = await q.findUserById(await getDb(), id);
      return row ? toAdapterUser(row) : null;
    },
    async getUserByEmail(email) {
      const row = await q.findUserByEmail(await getDb(), email);
      return row ? toAdapterUser(row) : null;
    },
    async getUserByAccount({ provider, providerAccountId }) {
      const row = await q.findUserByAccount(await getDb(), provider, providerAccountId);
      return row ? toAdapterUser(row) : null;
    },
    async updateUser(user) {
      const row = await q.updateUserRow(await getDb(), user.id, {
        ...(user.name !== undefined ? { name: user.name } : {}),
        ...(user.email !== undefined ? { email: user.email } : {}),
        ...(user.image !== undefined ? { image: user.image } : {}),
        ...(user.emailVerified !== undefined ? { emailVerified: user.emailVerified } : {}),
      });
      return toAdapterUser(row);
    },
    async deleteUser(userId) {
      await q.deleteUserRow(await getDb(), userId);
    },
    async linkAccount(account: AdapterAccount) {
      await q.upsertAccount(await getDb(), {
        userId: account.userId,
        type: account.type,
        provider: account.provider,
        providerAccountId: account.providerAccountId,
        tokenType: account.token_type ?? null,
        scope: account.scope ?? null,
        ...accountTokens(account),
      });
    },
    async unlinkAccount({ provider, providerAccountId }: { provider: string; providerAccountId: string }) {
      await q.deleteAccount(await getDb(), provider, providerAccountId);
    },
    async createSession(session) {
      return q.insertSession(await getDb(), session);
    },
    async getSessionAndUser(sessionToken) {
      const row = await q.findSessionAndUser(await getDb(), sessionToken);
      return row ? { session: row.session, user: toAdapterUser(row.user) } : null;
    },
    async updateSession(session) {
      return q.updateSessionRow(await getDb(), session.sessionToken, {
        ...(session.expires ? { expires: session.expires } : {}),
      });
    },
    async deleteSession(sessionToken) {
      await q.deleteSessionRow(await getDb(), sessionToken);
    },
  };
}
