import { randomUUID } from "node:crypto";
import type { DbHandle } from "@/db/client";
import { insertEvents } from "@/db/queries/events";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { eq } from "drizzle-orm";
import { accounts, attempts as attemptsTable, sessions, tasks, users } from "@/db/schema";
import type { ApiHandler } from "@/lib/api/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import type { ApiScope } from "@/lib/auth/scopes";
import { encryptText } from "@/lib/crypto";

export const APP = "http://localhost:3000";

export const DIFF = "diff --git a/src/greet.js b/src/greet.js\n--- a/src/greet.js\n+++ b/src/greet.js\n@@ -1 +1 @@\n-old\n+new\n";

type CallOpts = {
  method?: string;
  token?: string;
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  query?: Record<string, string>;
};

/** Calls a route handler the way Next.js does: a Request, and the route's params as a promise. */
export async function call(handler: (req: Request, ctx: never) => Promise<Response>, path: string, opts: CallOpts = {}) {
  const url = new URL(path, APP);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(url, {
    method: opts.method ?? "GET",
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return (handler as unknown as ApiHandler)(req, { params: Promise.resolve(opts.params ?? {}) });
}

export const errorOf = async (res: Response) => ((await res.clone().json()) as { error: { code: string; message: string } }).error;

export async function makeUser(handle: DbHandle, login: string, githubId: number) {
  const [user] = await handle.db.insert(users).values({ name: login, githubLogin: login, githubId }).returning();
  return user;
}

/** Links the user to their fake GitHub account (as signing in would), so repository checks reach the fake. */
export async function linkGitHub(handle: DbHandle, userId: string, githubId: number, accessToken: string) {
  await handle.db.insert(accounts).values({
    userId,
    type: "oauth",
    provider: "github",
    providerAccountId: String(githubId),
    accessToken: encryptText(accessToken),
    tokenType: "bearer",
  });
}

export async function sessionCookie(handle: DbHandle, userId: string) {
  const sessionToken = randomUUID();
  await handle.db.insert(sessions).values({ sessionToken, userId, expires: new Date(Date.now() + 3600_000) });
  return `next-auth.session-token=${sessionToken}`;
}

export async function token(userId: string, scopes: ApiScope[], name = "test") {
  return (await createApiToken({ userId, input: { name, scopes, expiresInDays: 30 } })).token;
}

/** A task with one finished attempt, a diff and a few events, written straight to the database. */
export async function seedTask(handle: DbHandle, ownerId: string, title = "Seeded task") {
  const { task, attempts } = await insertTaskWithJobs(handle.db, {
    ownerId,
    repoFullName: "acme/widgets",
    baseBranch: "main",
    mode: "code",
    title,
    prompt: title,
    attemptsCount: 1,
  });
  await insertEvents(handle.db, task.id, [
    { taskId: task.id, attemptId: attempts[0].id, seq: 1, turn: 0, type: "status", payload: { status: "running" } },
    { taskId: task.id, attemptId: attempts[0].id, seq: 2, turn: 0, type: "log", payload: { chunkId: "c1", stream: "stdout", text: "hello\n" } },
    { taskId: task.id, attemptId: attempts[0].id, seq: 3, turn: 0, type: "status", payload: { status: "succeeded" } },
  ]);
  await handle.db
    .update(attemptsTable)
    .set({ status: "succeeded", diff: DIFF, diffStats: { files: 1, additions: 1, deletions: 1 }, finishedAt: new Date() })
    .where(eq(attemptsTable.id, attempts[0].id));
  await handle.db.update(tasks).set({ status: "succeeded", finishedAt: new Date() }).where(eq(tasks.id, task.id));
  return { task, attempt: attempts[0] };
}
