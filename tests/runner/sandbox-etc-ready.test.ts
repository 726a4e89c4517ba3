import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner } from "@/lib/runner/runner";
import { syntheticEtcFiles } from "@/lib/sandbox/bwrap-args";
import { openTestDb } from "../helpers/db";
import { startTestStack, setProcessDb, type TestStack } from "../helpers/stack";

describe("a runner that starts", () => {
  let stack: TestStack;
  let db: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    stack = await startTestStack();
    db = await openTestDb("pglite");
    setProcessDb(db);
  });
  afterAll(async () => {
    await db?.cleanup();
    await stack?.close();
  });

  it("has the sandboxes' /etc folder ready before its first attempt (the first task does not pay for the copy)", async () => {
    const dataDir = path.join(stack.dataDir, "etc-ready");
    const runner = await startRunner(db, runnerConfigFromEnv(getEnv(), { dataDir, pollMs: 100 }));
    try {
      const parent = path.join(dataDir, "sandbox-etc");
      const made = fs.readdirSync(parent).filter((n) => n.startsWith("patchbay-etc-"));
      expect(made).toHaveLength(1);
      expect(fs.readFileSync(path.join(parent, made[0], "passwd"), "utf8")).toBe(syntheticEtcFiles().passwd);
    } finally {
      await runner.stop();
    }
  });
});
