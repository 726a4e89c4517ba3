import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner } from "@/lib/runner/runner";
import { openTestDb } from "../helpers/db";
import { startTestStack, setProcessDb, waitFor, type TestStack } from "../helpers/stack";

/** Mount points below `dir`, as the kernel lists them (not the app's opinion). */
function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(dir + path.sep));
}

describe.skipIf(process.getuid?.() !== 0)("the volume pool of a runner", () => {
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

  it("leaves no loop mount behind once the last runner of the process stops", async () => {
    const dataDir = path.join(stack.dataDir, "pooled");
    const pool = path.join(dataDir, "pool");
    const config = runnerConfigFromEnv(getEnv(), { dataDir, pollMs: 100 });
    const first = await startRunner(db, config);
    const second = await startRunner(db, { ...config, runnerId: `${config.runnerId}-2` });
    await waitFor(async () => mountsUnder(pool).length >= config.sandbox.volumePool, 30_000, "the pool's spare volumes");

    await first.stop();
    // Another runner of this process still takes from the pool: its spares stay.
    expect(mountsUnder(pool).length).toBeGreaterThanOrEqual(config.sandbox.volumePool);

    await second.stop();
    expect(mountsUnder(pool)).toEqual([]);
    expect(fs.readdirSync(pool)).toEqual([]);
  });
});
