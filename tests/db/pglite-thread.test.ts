import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite, type DbHandle } from "@/db/client";
import { users } from "@/db/schema";

/**
 * The embedded database runs on a thread of its own (db/pglite-thread.ts + db/pglite-worker.mjs). What the app
 * relies on must hold across that boundary: results, transactions (all or nothing, and exclusive while open),
 * PostgreSQL's error fields, and notifications.
 */
describe("embedded PGlite on its own thread", () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await openPglite("memory");
  });
  afterAll(() => handle.close());

  const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
  const count = async () => Number(rowsOf<{ n: number }>(await handle.db.execute(sql`select count(*)::int as n from users`))[0].n);

  it("answers queries through drizzle, dates and JSON included", async () => {
    const [ada] = await handle.db.insert(users).values({ name: "Ada", githubLogin: "ada" }).returning();
    expect(ada.name).toBe("Ada");
    expect(ada.createdAt).toBeInstanceOf(Date);
    const [row] = rowsOf<{ j: { a: number[] }; b: Uint8Array }>(await handle.db.execute(sql`select '{"a":[1,2]}'::jsonb as j, '\\x0102'::bytea as b`));
    expect(row.j).toEqual({ a: [1, 2] });
    expect([...row.b]).toEqual([1, 2]);
  });

  it("commits a transaction whole, rolls one back whole, and keeps others out while it is open", async () => {
    const before = await count();
    await handle.db.transaction(async (tx) => {
      await tx.insert(users).values({ name: "Grace", githubLogin: "grace" });
      await tx.insert(users).values({ name: "Linus", githubLogin: "linus" });
    });
    expect(await count()).toBe(before + 2);

    await expect(
      handle.db.transaction(async (tx) => {
        await tx.insert(users).values({ name: "Ken", githubLogin: "ken" });
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(await count()).toBe(before + 2);

    // A query from outside waits for the open transaction: it never sees (or joins) its uncommitted row.
    let outside = Number.NaN;
    let reading: Promise<unknown> = Promise.resolve();
    await handle.db.transaction(async (t) => {
      await t.insert(users).values({ name: "Barbara", githubLogin: "barbara" });
      reading = count().then((n) => (outside = n));
      await new Promise((r) => setTimeout(r, 100));
      expect(outside).toBeNaN();
    });
    await reading;
    expect(outside).toBe(before + 3);
  });

  it("passes PostgreSQL's error fields through (code, constraint), as lib/log.ts reads them", async () => {
    const [dup] = await handle.db.insert(users).values({ name: "Dup" }).returning();
    const err = await handle.db
      .insert(users)
      .values({ id: dup.id, name: "Dup again" })
      .then(() => null)
      .catch((e: unknown) => e as { cause?: Record<string, unknown> });
    expect(err?.cause).toMatchObject({ code: "23505", severity: "ERROR" });
    expect(String(err?.cause?.constraint)).toMatch(/users_pkey/);
  });

  it("delivers notifications: a NOTIFY in SQL at commit, and handle.notify without a query", async () => {
    const got: string[] = [];
    const stop = await handle.listen("patchbay_test", (p) => got.push(p));
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_notify('patchbay_test', 'from sql')`);
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([]);
    });
    await handle.notify("patchbay_test", "from the handle");
    await expect.poll(() => got.sort()).toEqual(["from sql", "from the handle"]);
    await stop();
  });
});
