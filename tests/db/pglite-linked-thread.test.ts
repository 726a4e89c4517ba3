import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite, openPgliteOverPort, type DbHandle } from "@/db/client";
import { insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { joinTaskFeed } from "@/lib/events/feed";
import { AttemptEventWriter } from "@/lib/events/writer";

/**
 * The embedded runner works on a thread of its own (lib/runner/runner-thread.ts) and reaches the web's PGlite thread
 * through a link (a port to it, a BroadcastChannel to the web's thread). The linked side here lives in the test's
 * thread: ports and BroadcastChannels behave the same between two objects of one thread as across threads.
 */
describe("a second thread on the embedded database", () => {
  let web: DbHandle;
  let runner: DbHandle;
  beforeAll(async () => {
    web = await openPglite("memory");
    runner = await openPgliteOverPort(await web.linkThread!());
  });
  afterAll(async () => {
    await runner?.close();
    await web?.close();
  });

  const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
  const count = async (h: DbHandle) => Number(rowsOf<{ n: number }>(await h.db.execute(sql`select count(*)::int as n from users`))[0].n);

  it("queries the same database, and its open transaction keeps the web's queries out until it ends", async () => {
    const [ada] = await runner.db.insert(users).values({ name: "Ada", githubLogin: "ada-linked" }).returning();
    expect(ada.createdAt).toBeInstanceOf(Date);
    const before = await count(web);
    expect(await count(runner)).toBe(before);
    let seen = Number.NaN;
    let reading: Promise<unknown> = Promise.resolve();
    await runner.db.transaction(async (tx) => {
      await tx.insert(users).values({ name: "Grace" });
      reading = count(web).then((n) => (seen = n));
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).toBeNaN();
    });
    await reading;
    expect(seen).toBe(before + 1);
  });

  it("notifications reach both threads: handle.notify from either, and a NOTIFY in SQL to the thread that listens", async () => {
    const atWeb: string[] = [];
    const atRunner: string[] = [];
    const stops = [await web.listen("patchbay_link", (p) => atWeb.push(p)), await runner.listen("patchbay_link", (p) => atRunner.push(p))];
    await web.notify("patchbay_link", "from web");
    await runner.notify("patchbay_link", "from runner");
    await runner.db.execute(sql`select pg_notify('patchbay_link', 'from sql')`);
    await expect.poll(() => [...atWeb].sort()).toEqual(["from runner", "from sql", "from web"]);
    await expect.poll(() => [...atRunner].sort()).toEqual(["from runner", "from sql", "from web"]);
    for (const stop of stops) await stop();
  });

  it("a thread that goes away inside a transaction leaves nothing behind and the database free", async () => {
    const gone = await openPgliteOverPort(await web.linkThread!());
    const before = await count(web);
    let opened!: () => void;
    const inside = new Promise<void>((r) => (opened = r));
    void gone.db
      .transaction(async (tx) => {
        await tx.insert(users).values({ name: "Never committed" });
        opened();
        await new Promise(() => undefined); // the thread dies here, its transaction open
      })
      .catch(() => undefined);
    await inside;
    await gone.close();
    // The web's next query would wait behind that transaction for good, were it not rolled back.
    expect(await count(web)).toBe(before);
    await expect(gone.db.execute(sql`select 1`)).rejects.toThrow();
  });

  // Five rounds: the interleaving differs from run to run, and a missed row shows in most rounds, not in every one.
  it.each([1, 2, 3, 4, 5])("a viewer on the web's thread gets every event once, in order, while both threads write (round %i)", async () => {
    const [owner] = await web.db.insert(users).values({ name: "V" }).returning();
    const { task, attempts } = await insertTaskWithJobs(web.db, {
      ownerId: owner.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "t",
      prompt: "p",
      attemptsCount: 2,
    });
    const ids: number[] = [];
    const decoder = new TextDecoder();
    const leave = await joinTaskFeed(web, task.id, 0, (bytes) => {
      for (const m of decoder.decode(bytes).matchAll(/^id: (\d+)$/gm)) ids.push(Number(m[1]));
    });
    // The runner's thread writes one attempt's events (rows handed over), the web's thread the other's (as when a
    // queued attempt is stopped): their writes interleave, so hand-offs from the runner land around the web's rows.
    const fromRunner = await AttemptEventWriter.open(runner, { taskId: task.id, attemptId: attempts[0].id, turn: 0 });
    const fromWeb = await AttemptEventWriter.open(web, { taskId: task.id, attemptId: attempts[1].id, turn: 0 });
    await Promise.all([
      (async () => {
        for (let i = 0; i < 80; i++) await fromRunner.append("status", { status: `r${i}` });
      })(),
      (async () => {
        for (let i = 0; i < 40; i++) await fromWeb.append("status", { status: `w${i}` });
      })(),
    ]);
    const rows = await web.db.query.taskEvents.findMany({ where: (t, { eq }) => eq(t.taskId, task.id), orderBy: (t, { asc }) => asc(t.id) });
    expect(rows).toHaveLength(120);
    await expect.poll(() => ids.length).toBe(120);
    expect(ids).toEqual(rows.map((r) => r.id));
    leave();
  });
});
