import crypto from "node:crypto";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openPglite, type DbHandle } from "@/db/client";
import { environments, sessions, users } from "@/db/schema";
import { errorResponse } from "@/lib/http";
import { describeError, logError } from "@/lib/log";

const SECRET = "sk-live-5ecr3t-9f8e7d6c5b4a";

let handle: DbHandle;
beforeAll(async () => {
  handle = await openPglite("memory");
});
afterAll(async () => handle?.close());

/** Everything console.error printed while `fn` ran. */
async function logged(fn: () => void | Promise<void>): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === "string" ? a : String(a))).join(" "));
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return lines.join("\n");
}

const failure = (p: Promise<unknown>) => p.then(() => Promise.reject(new Error("expected the query to fail")), (e: unknown) => e);

afterEach(() => vi.restoreAllMocks());

describe("server logs never print query parameters or the secrets column", () => {
  it("a constraint violation carrying a sealed secret: class, code and SQL are logged, the values are not", async () => {
    const err = await failure(
      handle.db.insert(environments).values({
        ownerId: crypto.randomUUID(), // no such user: a foreign-key violation
        repoFullName: "acme/widgets",
        defaultBranch: "main",
        envVars: { DEPLOY_TOKEN: SECRET },
        secretsEncrypted: `sealed:${SECRET}`,
      }),
    );
    expect(err).toBeInstanceOf(DrizzleQueryError);
    // The raw error does carry the values: that is what must not be printed.
    expect((err as Error).message).toContain(SECRET);
    expect(JSON.stringify((err as { cause: unknown }).cause)).toContain(SECRET);

    const text = await logged(() => logError("saving an environment", err));
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/params:/);
    expect(text).toMatch(/^saving an environment: DrizzleQueryError: Failed query: insert into "environments"/);
    expect(text).toContain("[23503]");
    expect(text).toContain("constraint environments_owner_id_users_id_fk");
    // Where it happened is kept (stack frames), the raw message in the stack's first line is not.
    expect(text).toMatch(/\n\s+at /);
  });

  it("a value the database echoes in its own message or detail is not printed either", async () => {
    const err = await failure(handle.db.insert(users).values({ id: SECRET, name: "x" }));
    expect((err as { cause: Error }).cause.message).toContain(SECRET); // invalid input syntax for type uuid: "<value>"
    const text = describeError(err);
    expect(text).not.toContain(SECRET);
    expect(text).toMatch(/\[22P02\]: invalid input syntax for type uuid: "…"/);

    // A session token is a credential; a duplicate one comes back in the detail: Key (session_token)=(<token>) …
    const [user] = await handle.db.insert(users).values({ name: "alice" }).returning();
    const session = { sessionToken: SECRET, userId: user.id, expires: new Date(Date.now() + 3600_000) };
    await handle.db.insert(sessions).values(session);
    const dup = await failure(handle.db.insert(sessions).values(session));
    expect((dup as { cause: { detail: string } }).cause.detail).toContain(SECRET);
    expect(describeError(dup)).not.toContain(SECRET);
    expect(describeError(dup)).toContain("[23505]");
  });

  it("the API's 500 path logs through it too", async () => {
    const err = await failure(
      handle.db.insert(environments).values({ ownerId: crypto.randomUUID(), repoFullName: "a/b", defaultBranch: "main", secretsEncrypted: SECRET }),
    );
    let res: Response | undefined;
    const text = await logged(() => {
      res = errorResponse(err);
    });
    expect(res?.status).toBe(500);
    expect(text).toMatch(/^internal error: DrizzleQueryError/);
    expect(text).not.toContain(SECRET);
  });

  it("a parameter that itself contains 'params:' cannot smuggle values into the statement", () => {
    const err = new DrizzleQueryError('insert into "t" values ($1, $2)', [`x\nparams: y`, SECRET]);
    expect(describeError(err)).toBe('DrizzleQueryError: Failed query: insert into "t" values ($1, $2)');
  });
});
