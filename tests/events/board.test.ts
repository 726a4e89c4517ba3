import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { publishBoardChange, subscribeBoard } from "@/lib/events/user-stream";
import { dbKinds, openTestDb } from "../helpers/db";
import { waitFor } from "../helpers/stack";

describe.each(dbKinds)("a person's board hears of their tasks' changes (%s)", (kind) => {
  let db: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    db = await openTestDb(kind);
  });
  afterAll(async () => db?.cleanup());

  it("each change reaches that person's subscribers, not someone else's", async () => {
    const [alice, bob] = await db.db.insert(users).values([{ name: "Alice" }, { name: "Bob" }]).returning();
    const heard: string[] = [];
    const bobHeard: string[] = [];
    const leave = await subscribeBoard(db, alice.id, (id) => heard.push(id));
    const leaveBob = await subscribeBoard(db, bob.id, (id) => bobHeard.push(id));
    try {
      const ids = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"];
      for (const id of ids) await publishBoardChange(db, alice.id, id);
      await waitFor(async () => heard.length === 2, 5_000, "the board notifications");
      expect(heard).toEqual(ids);
      expect(bobHeard).toEqual([]);
    } finally {
      leave();
      leaveBob();
    }
  });
});
