import "server-only";
import type { NextAuthOptions } from "next-auth";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { getDb } from "@/db";
import { updateAccountTokens, updateUserRow } from "@/db/queries/auth";
import { getEnv } from "@/lib/env";
import { getAppSecret } from "@/lib/crypto";
import { githubUrls } from "@/lib/github/urls";
import { accountTokens, patchbayAdapter } from "./adapter";
import { usesSecureCookies } from "./cookies";

type GitHubProfile = { id: number; login: string; name?: string; email?: string; avatar_url: string };

/**
 * GitHub sign-in through the GitHub App's user authorization. Every address comes from configuration
 * (GITHUB_URL / GITHUB_API_URL) so that GitHub Enterprise Server and the fake GitHub of the tests work.
 */
function githubProvider(): OAuthConfig<GitHubProfile> {
  const env = getEnv();
  const urls = githubUrls(env);
  return {
    id: "github",
    name: "GitHub",
    type: "oauth",
    clientId: env.GITHUB_CLIENT_ID,
    clientSecret: env.GITHUB_CLIENT_SECRET,
    authorization: { url: `${urls.web}/login/oauth/authorize`, params: { scope: "" } },
    token: `${urls.web}/login/oauth/access_token`,
    userinfo: {
      url: `${urls.api}/user`,
      async request({ tokens }) {
        const headers = { Authorization: `Bearer ${tokens.access_token}`, Accept: "application/vnd.github+json" };
        const res = await fetch(`${urls.api}/user`, { headers });
        if (!res.ok) throw new Error(`GitHub /user answered ${res.status}`);
        const profile = (await res.json()) as GitHubProfile;
        if (!profile.email) {
          const emails = await fetch(`${urls.api}/user/emails`, { headers });
          if (emails.ok) {
            const list = (await emails.json()) as { email: string; primary: boolean }[];
            profile.email = (list.find((e) => e.primary) ?? list[0])?.email;
          }
        }
        return profile;
      },
    },
    profile(profile) {
      return {
        id: String(profile.id),
        name: profile.name ?? profile.login,
        email: profile.email,
        image: profile.avatar_url,
        githubLogin: profile.login,
        githubId: profile.id,
      };
    },
  };
}

export function getAuthOptions(): NextAuthOptions {
  return {
    secret: getAppSecret(),
    // Explicit rather than next-auth's guess: Secure cookies exactly when NEXTAUTH_URL is https.
    useSecureCookies: usesSecureCookies(getEnv()),
    adapter: patchbayAdapter(getDb),
    providers: [githubProvider()],
    session: { strategy: "database", maxAge: 30 * 24 * 3600, updateAge: 24 * 3600 },
    pages: { signIn: "/signin", error: "/signin" },
    callbacks: {
      session({ session, user }) {
        return { ...session, user: { ...session.user, id: user.id } };
      },
    },
    events: {
      // next-auth links an account once; later sign-ins bring fresh tokens that we keep (sealed).
      async signIn({ user, account, profile }) {
        if (!account) return;
        const db = await getDb();
        await updateAccountTokens(db, account, accountTokens(account));
        const gh = profile as Partial<GitHubProfile> | undefined;
        if (gh?.login) {
          await updateUserRow(db, user.id, { githubLogin: gh.login, githubId: gh.id ?? null, image: gh.avatar_url ?? null });
        }
      },
    },
  };
}
