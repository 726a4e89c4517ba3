import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertTaskWithJobs, updateAttempt } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { reapWorkspaces } from "@/lib/runner/reaper";
import { openTestDb } from "../helpers/db";

describe("workspace reaper", () => {
  let db: Awaited<ReturnType<typeof openTestDb>>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-reaper-"));
  beforeAll(async () => {
    db = await openTestDb("pglite");
  });
  afterAll(async () => {
    await db?.cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("removes workspaces of long-finished and deleted attempts, keeps running and recent ones", async () => {
    const [user] = await db.db.insert(users).values({ name: "A" }).returning();
    const { attempts } = await insertTaskWithJobs(db.db, {
      ownerId: user.id, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: "t", prompt: "p", attemptsCount: 3,
    });
    const [old, recent, running] = attempts;
    const hour = 3600_000;
    await updateAttempt(db.db, old.id, { status: "succeeded", finishedAt: new Date(Date.now() - 5 * hour) });
    await updateAttempt(db.db, recent.id, { status: "failed", finishedAt: new Date(Date.now() - 60_000) });
    await updateAttempt(db.db, running.id, { status: "running" });
    const orphan = "00000000-0000-4000-8000-000000000000";
    for (const id of [old.id, recent.id, running.id, orphan]) fs.mkdirSync(path.join(dataDir, "work", id, "tree"), { recursive: true });

    // What this runner works on is never reaped, even when its row is gone (a task deleted while it runs).
    expect(await reapWorkspaces(db.db, { dataDir, ttlMs: 2 * hour, busy: new Set([old.id, orphan]) })).toBe(0);
    const removed = await reapWorkspaces(db.db, { dataDir, ttlMs: 2 * hour });
    expect(removed).toBe(2);
    const left = fs.readdirSync(path.join(dataDir, "work")).sort();
    expect(left).toEqual([recent.id, running.id].sort());
  });
});
