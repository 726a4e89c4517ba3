import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { apiTokens, tasks } from "@/db/schema";
import { oauthLogin } from "@/e2e/fakes/github/test-helpers";
import { operationList } from "@/lib/api/operations";
import type { ApiHandler } from "@/lib/api/route";
import * as out from "@/lib/api/schemas";
import { hashToken, listApiTokens, revokeApiToken } from "@/lib/auth/api-tokens";
import { API_SCOPES } from "@/lib/auth/scopes";
import { readSse } from "@/tests/helpers/sse";
import * as diffRoute from "@/app/api/tasks/[id]/attempts/[attemptId]/diff/route";
import * as attemptsRoute from "@/app/api/tasks/[id]/attempts/route";
import * as fileRoute from "@/app/api/tasks/[id]/attempts/[attemptId]/file/route";
import * as cancelRoute from "@/app/api/tasks/[id]/cancel/route";
import * as eventsRoute from "@/app/api/tasks/[id]/events/route";
import * as followUpsRoute from "@/app/api/tasks/[id]/follow-ups/route";
import * as messagesRoute from "@/app/api/tasks/[id]/messages/route";
import * as prRoute from "@/app/api/tasks/[id]/pr/route";
import * as taskRoute from "@/app/api/tasks/[id]/route";
import * as boardEventsRoute from "@/app/api/tasks/events/route";
import * as reposRoute from "@/app/api/tasks/repos/route";
import * as tasksRoute from "@/app/api/tasks/route";
import * as tokenRoute from "@/app/api/token/route";
import { dbKinds, openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, type TestStack } from "../helpers/stack";
import { call, DIFF, errorOf, linkGitHub, makeUser, seedTask, sessionCookie, token } from "./helpers";

// A small bucket, so that the limit is reached in a test: 5 at once, then one a second.
process.env.API_RATE_LIMIT_PER_MINUTE = "60";
process.env.API_RATE_LIMIT_BURST = "5";

const routes: Record<string, Record<string, ApiHandler>> = {
  "/api/tasks": tasksRoute,
  "/api/tasks/repos": reposRoute,
  "/api/tasks/events": boardEventsRoute,
  "/api/tasks/{id}/attempts": attemptsRoute,
  "/api/tasks/{id}": taskRoute,
  "/api/tasks/{id}/cancel": cancelRoute,
  "/api/tasks/{id}/events": eventsRoute,
  "/api/tasks/{id}/follow-ups": followUpsRoute,
  "/api/tasks/{id}/messages": messagesRoute,
  "/api/tasks/{id}/pr": prRoute,
  "/api/tasks/{id}/attempts/{attemptId}/diff": diffRoute,
  "/api/tasks/{id}/attempts/{attemptId}/file": fileRoute,
  "/api/token": tokenRoute,
} as unknown as Record<string, Record<string, ApiHandler>>;

const handlerOf = (method: string, path: string) => {
  const h = routes[path]?.[method];
  if (!h) throw new Error(`no handler ${method} ${path}`);
  return h;
};

/** A request to the operation at `path` with `{id}`/`{attemptId}` filled in. */
function request(method: string, path: string, params: Record<string, string>, opts: Parameters<typeof call>[2] = {}) {
  const url = path.replace(/\{(\w+)\}/g, (_, k: string) => params[k]);
  return call(handlerOf(method, path), url, { method, params, ...opts });
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ tmpPrefix: "patchbay-api-" });
});
afterAll(async () => stack?.close());

describe.each(dbKinds)("personal access tokens on %s", (kind) => {
  let handle: Awaited<ReturnType<typeof openTestDb>>;
  let alice: { id: string };
  let bob: { id: string };

  beforeAll(async () => {
    handle = await openTestDb(kind);
    setProcessDb(handle);
    alice = await makeUser(handle, "alice", 1001);
    bob = await makeUser(handle, "bob", 1002);
    await linkGitHub(handle, alice.id, 1001, (await oauthLogin(stack.github, "alice")).token.access_token);
  });
  afterAll(async () => handle?.cleanup());

  it("a token is shown once, stored only as its SHA-256, recognisable by its prefix, and reads its owner's tasks", async () => {
    const { task } = await seedTask(handle, alice.id, "Token reads this");
    const t = await token(alice.id, ["tasks:read"], "laptop");
    expect(t).toMatch(/^pbt_[A-Za-z0-9_-]{43}$/);
    const [row] = await handle.db.select().from(apiTokens).where(eq(apiTokens.tokenHash, hashToken(t)));
    expect(row).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain(t.slice(4));
    expect(row.displayPrefix).toBe(t.slice(0, 10));
    expect(row.lastUsedAt).toBeNull();
    // The list never carries the token or its hash.
    const listed = await listApiTokens({ userId: alice.id });
    expect(JSON.stringify(listed)).not.toContain(row.tokenHash);
    expect(listed.find((l) => l.id === row.id)).toMatchObject({ name: "laptop", scopes: ["tasks:read"], lastUsedAt: null, expired: false });

    const list = await call(tasksRoute.GET, "/api/tasks", { token: t });
    expect(list.status).toBe(200);
    const body = out.taskList.parse(await list.json());
    expect(body.tasks.map((x) => x.id)).toContain(task.id);
    expect(list.headers.get("x-ratelimit-limit")).toBe("5");
    expect(list.headers.get("set-cookie")).toBeNull();

    const detail = await request("GET", "/api/tasks/{id}", { id: task.id }, { token: t });
    expect(detail.status).toBe(200);
    expect(out.taskDetail.parse(await detail.json()).task.title).toBe("Token reads this");
    // A script reading a task does not mark it read on the board.
    const [after] = await handle.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(after.lastViewedAt).toBeNull();

    const [used] = await handle.db.select().from(apiTokens).where(eq(apiTokens.id, row.id));
    expect(used.lastUsedAt).toBeInstanceOf(Date);
    expect(Date.now() - used.lastUsedAt!.getTime()).toBeLessThan(60_000);
  });

  it("diff, file and events answer a token like a session; events with follow=0 end after the backlog", async () => {
    const { task, attempt } = await seedTask(handle, alice.id);
    const t = await token(alice.id, ["tasks:read"]);
    const diff = await request("GET", "/api/tasks/{id}/attempts/{attemptId}/diff", { id: task.id, attemptId: attempt.id }, { token: t });
    expect(diff.status).toBe(200);
    expect(diff.headers.get("content-type")).toMatch(/^text\/x-diff/);
    expect(await diff.text()).toBe(DIFF);

    const events = await request("GET", "/api/tasks/{id}/events", { id: task.id }, { token: t, query: { follow: "0" } });
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const all = await readSse(events.body!, () => false, 10_000);
    expect(all.map((e) => out.taskEvent.parse(e.data).type)).toEqual(["status", "log", "status"]);
    // Resuming from the first event's id with Last-Event-ID: no repeat.
    const resumed = await request("GET", "/api/tasks/{id}/events", { id: task.id }, {
      token: t,
      query: { follow: "0" },
      headers: { "last-event-id": String(all[0].id) },
    });
    expect((await readSse(resumed.body!, () => false, 10_000)).map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));

    const repos = await call(reposRoute.GET, "/api/tasks/repos", { token: t });
    expect(out.taskRepos.parse(await repos.json()).repos).toContain("acme/widgets");
  });

  it("someone else's task is a 404 on every task route — the same answer as a task that does not exist", async () => {
    const { task, attempt } = await seedTask(handle, alice.id, "Alice's only");
    const bobs = await token(bob.id, [...API_SCOPES]);
    const missing = "00000000-0000-4000-8000-000000000000";
    for (const op of operationList.filter((o) => o.path.includes("{id}"))) {
      for (const id of [task.id, missing]) {
        const res = await request(op.method, op.path, { id, attemptId: attempt.id }, {
          token: bobs,
          body: op.body
            ? op.operationId === "updateTask"
              ? { archived: true }
              : op.operationId === "addFollowUp"
                ? { prompt: "x" }
                : op.operationId === "steerAttempt"
                  ? { attemptId: attempt.id, text: "x" }
                  : {}
            : undefined,
          query: op.operationId === "getAttemptFile" ? { path: "README.md" } : undefined,
        });
        expect(res.status, `${op.method} ${op.path} ${id === missing ? "missing" : "alice's"}`).toBe(404);
        expect((await errorOf(res)).code).toBe("not_found");
      }
      // An empty bucket again: this test is about ownership, not the (small) rate limit of this file.
      await handle.db.update(apiTokens).set({ rateTat: null }).where(eq(apiTokens.tokenHash, hashToken(bobs)));
    }
    const [still] = await handle.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(still).toMatchObject({ archived: false, status: "succeeded" });
  });

  it("every operation enforces the scope the OpenAPI document names: 403 insufficient_scope, naming it", async () => {
    const { task, attempt } = await seedTask(handle, alice.id);
    for (const op of operationList.filter((o) => o.scope)) {
      const others = API_SCOPES.filter((s) => s !== op.scope);
      const t = await token(alice.id, others);
      const res = await request(op.method, op.path, { id: task.id, attemptId: attempt.id }, { token: t, body: op.body ? {} : undefined });
      expect(res.status, op.operationId).toBe(403);
      const error = await errorOf(res);
      expect(error.code).toBe("insufficient_scope");
      expect(error.message).toContain(op.scope!);
      expect(res.headers.get("www-authenticate")).toContain(`scope="${op.scope}"`);
    }
    const [still] = await handle.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(still).toMatchObject({ archived: false, status: "succeeded" });
  });

  it("tasks:write creates, archives and deletes; the created task matches the documented schema", async () => {
    const t = await token(alice.id, ["tasks:read", "tasks:write"]);
    const created = await call(tasksRoute.POST, "/api/tasks", {
      method: "POST",
      token: t,
      body: { repo: "acme/widgets", branch: "main", mode: "ask", prompt: "How does sum work?", attempts: 2 },
    });
    expect(created.status).toBe(201);
    const { task } = out.createdTask.parse(await created.json());
    expect(task).toMatchObject({ repoFullName: "acme/widgets", mode: "ask", attemptsCount: 2 });
    expect(task.attempts).toHaveLength(2);

    const cancelled = await request("POST", "/api/tasks/{id}/cancel", { id: task.id }, { token: t });
    expect(out.cancelResult.parse(await cancelled.json()).cancelled).toBe(2);
    const archived = await request("PATCH", "/api/tasks/{id}", { id: task.id }, { token: t, body: { archived: true } });
    expect(out.taskDetail.parse(await archived.json()).task).toMatchObject({ archived: true, status: "cancelled" });
    const deleted = await request("DELETE", "/api/tasks/{id}", { id: task.id }, { token: t });
    expect(deleted.status).toBe(204);
    expect(await handle.db.select().from(tasks).where(eq(tasks.id, task.id))).toEqual([]);

    // A repository the App cannot reach for alice is refused, not created.
    const foreign = await call(tasksRoute.POST, "/api/tasks", {
      method: "POST",
      token: t,
      body: { repo: "someone/else", branch: "main", mode: "code", prompt: "x" },
    });
    expect(foreign.status).toBe(404);
    expect((await errorOf(foreign)).code).toBe("repo_not_found");
  });

  it("revoked, expired, unknown and malformed tokens are 401 with WWW-Authenticate, each saying why", async () => {
    const revoked = await token(alice.id, ["tasks:read"], "old laptop");
    const [row] = await handle.db.select().from(apiTokens).where(eq(apiTokens.tokenHash, hashToken(revoked)));
    expect((await call(tasksRoute.GET, "/api/tasks", { token: revoked })).status).toBe(200);
    await revokeApiToken({ userId: alice.id, tokenId: row.id });
    // Only its owner can revoke it; revoking twice is a 404.
    await expect(revokeApiToken({ userId: alice.id, tokenId: row.id })).rejects.toMatchObject({ status: 404 });
    expect((await listApiTokens({ userId: alice.id })).map((l) => l.id)).not.toContain(row.id);
    const r1 = await call(tasksRoute.GET, "/api/tasks", { token: revoked });
    expect(r1.status).toBe(401);
    expect(await errorOf(r1)).toMatchObject({ code: "token_revoked", message: expect.stringContaining('"old laptop" was revoked') });
    expect(r1.headers.get("www-authenticate")).toMatch(/^Bearer realm="patchbay", error="invalid_token"/);

    const bobs = await token(bob.id, ["tasks:read"]);
    const [bobRow] = await handle.db.select().from(apiTokens).where(eq(apiTokens.tokenHash, hashToken(bobs)));
    await expect(revokeApiToken({ userId: alice.id, tokenId: bobRow.id })).rejects.toMatchObject({ status: 404 });
    expect((await call(tasksRoute.GET, "/api/tasks", { token: bobs })).status).toBe(200);

    const expired = await token(alice.id, ["tasks:read"], "short-lived");
    await handle.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.tokenHash, hashToken(expired)));
    const r2 = await call(tasksRoute.GET, "/api/tasks", { token: expired });
    expect(r2.status).toBe(401);
    expect((await errorOf(r2)).code).toBe("token_expired");
    expect((await listApiTokens({ userId: alice.id })).find((l) => l.name === "short-lived")?.expired).toBe(true);

    const unknown = await call(tasksRoute.GET, "/api/tasks", { token: `pbt_${"A".repeat(43)}` });
    expect(unknown.status).toBe(401);
    expect((await errorOf(unknown)).code).toBe("invalid_token");
    for (const authorization of ["Bearer", "Bearer ghp_notours", "Basic YWxpY2U6eA==", "Token pbt_x"]) {
      const res = await call(tasksRoute.GET, "/api/tasks", { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
    }
  });

  it("a token request never acts through a session: a bad token beside a valid session cookie is still a 401", async () => {
    const cookie = await sessionCookie(handle, alice.id);
    // The session alone works (the app's own pages)…
    const bySession = await call(tasksRoute.GET, "/api/tasks", { cookie });
    expect(bySession.status).toBe(200);
    // …but once Authorization is there, only the token counts.
    const bad = await call(tasksRoute.GET, "/api/tasks", { cookie, token: `pbt_${"B".repeat(43)}` });
    expect(bad.status).toBe(401);
    const scoped = await token(alice.id, ["tasks:read"]);
    const create = await call(tasksRoute.POST, "/api/tasks", {
      method: "POST",
      cookie,
      token: scoped,
      body: { repo: "acme/widgets", branch: "main", mode: "ask", prompt: "via the cookie?" },
    });
    expect(create.status).toBe(403);
    // Neither a session nor a token: 401.
    expect((await call(tasksRoute.GET, "/api/tasks")).status).toBe(401);
  });

  it("GET /api/token says whose token it is, with its scopes and what is left of its rate limit", async () => {
    const t = await token(alice.id, ["pr:write"], "ci");
    const res = await call(tokenRoute.GET, "/api/token", { token: t });
    expect(res.status).toBe(200);
    const info = out.tokenInfo.parse(await res.json());
    expect(info).toMatchObject({ user: { login: "alice" }, token: { name: "ci", scopes: ["pr:write"] }, rateLimit: { limit: 5, remaining: 4 } });
  });

  it("past the burst a token gets 429 with Retry-After; other tokens are not affected; the bucket refills", async () => {
    const t = await token(alice.id, ["tasks:read"]);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call(tasksRoute.GET, "/api/tasks", { token: t });
      expect(res.status).toBe(200);
      remaining.push(res.headers.get("x-ratelimit-remaining") ?? "");
    }
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);
    const limited = await call(tasksRoute.GET, "/api/tasks", { token: t });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await errorOf(limited)).toMatchObject({ code: "rate_limited", message: expect.stringContaining("60 a minute") });
    // A refused request does not count as a use nor push the bucket further.
    expect((await call(tasksRoute.GET, "/api/tasks", { token: t })).status).toBe(429);

    const other = await token(alice.id, ["tasks:read"]);
    expect((await call(tasksRoute.GET, "/api/tasks", { token: other })).status).toBe(200);

    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(tasksRoute.GET, "/api/tasks", { token: t })).status).toBe(200);
    expect((await call(tasksRoute.GET, "/api/tasks", { token: t })).status).toBe(429);
  });

  it("requests racing on one token never overspend its bucket", async () => {
    const t = await token(alice.id, ["tasks:read"]);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => call(tasksRoute.GET, "/api/tasks/repos", { token: t }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it("token answers never set a cookie", async () => {
    const { task } = await seedTask(handle, alice.id);
    const t = await token(alice.id, [...API_SCOPES]);
    for (const res of [
      await call(tasksRoute.GET, "/api/tasks", { token: t }),
      await request("GET", "/api/tasks/{id}", { id: task.id }, { token: t }),
      await request("PATCH", "/api/tasks/{id}", { id: task.id }, { token: t, body: { archived: false } }),
    ]) {
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
    // Keep the PR route honest too: an Ask-less code task with no snapshot cannot open a PR, and says so in JSON.
    const pr = await request("POST", "/api/tasks/{id}/pr", { id: task.id }, { token: t, body: {} });
    expect(pr.status).toBeGreaterThanOrEqual(400);
    expect(out.errorBody.safeParse(await pr.json()).success).toBe(true);
    const follow = await request("POST", "/api/tasks/{id}/follow-ups", { id: task.id }, { token: t, body: { prompt: "" } });
    expect(follow.status).toBe(400);
    expect((await errorOf(follow)).message).toMatch(/^prompt: /);
  });

  it("the file route refuses a bad path with 400 before touching anything", async () => {
    const { task, attempt } = await seedTask(handle, alice.id);
    const t = await token(alice.id, ["tasks:read"]);
    const res = await request("GET", "/api/tasks/{id}/attempts/{attemptId}/file", { id: task.id, attemptId: attempt.id }, { token: t, query: { path: "" } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/^path: /);
  });
});
