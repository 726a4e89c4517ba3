import "server-only";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getDb } from "@/db";
import { findSessionAndUser } from "@/db/queries/auth";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { sessionCookieName } from "./cookies";

export type SessionUser = {
  id: string;
  name: string | null;
  email: string | null;
  image: string | null;
  githubLogin: string | null;
};

/**
 * The signed-in user from the database session cookie, or null. A cookie whose session expired or whose user was
 * deleted resolves to null, so the visitor is signed out.
 */
export async function getSessionUser(): Promise<SessionUser | null> {
  const jar = await cookies();
  const token = jar.get(sessionCookieName(getEnv()))?.value;
  if (!token || token.length > 200) return null;
  const row = await findSessionAndUser(await getDb(), token);
  if (!row || row.session.expires.getTime() < Date.now()) return null;
  const { id, name, email, image, githubLogin } = row.user;
  return { id, name, email, image, githubLogin };
}

/** For pages: the user, or a redirect to the sign-in page. */
export async function requirePageUser(): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect("/signin");
  return user;
}

/** For route handlers: the user, or a 401 AppError. */
export async function requireApiUser(): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) throw new AppError("unauthenticated", "Sign in to continue.", 401, { label: "Sign in", href: "/signin" });
  return user;
}
