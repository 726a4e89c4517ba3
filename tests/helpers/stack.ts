import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFakeGitHub, type FakeGitHub } from "@/e2e/fakes/github/server";
import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";
import { appEnvFor } from "@/e2e/fakes/app-env";
import type { DbHandle } from "@/db/client";
import { unmountUnder } from "./mounts";

export type TestStack = { github: FakeGitHub; model: FakeModel; dataDir: string; env: Record<string, string>; close(): Promise<void> };

/**
 * The fakes the app reaches through its ordinary configuration, and the environment that points it at them.
 * Call before anything reads lib/env (it is parsed once per process).
 */
export async function startTestStack(
  opts: { textDelayMs?: number; tmpPrefix?: string; fixturesDir?: string; dataDir?: string } = {},
): Promise<TestStack> {
  const [github, model] = await Promise.all([
    startFakeGitHub(),
    startFakeModel({ textDelayMs: opts.textDelayMs ?? 1, fixturesDir: opts.fixturesDir }),
  ]);
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), opts.tmpPrefix ?? "patchbay-test-"));
  fs.chmodSync(dataDir, 0o755);
  const env = {
    ...appEnvFor(github, model.url),
    PATCHBAY_DATA_DIR: dataDir,
    NEXTAUTH_SECRET: "test-secret-test-secret-test-secret",
  };
  Object.assign(process.env, env);
  return {
    github,
    model,
    dataDir,
    env,
    async close() {
      await Promise.all([github.close(), model.close()]);
      unmountUnder(dataDir);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Makes lib/ functions that use the process database (getDbHandle) use this handle. */
export function setProcessDb(handle: DbHandle) {
  (globalThis as unknown as { __patchbayDb?: Promise<DbHandle> }).__patchbayDb = Promise.resolve(handle);
}

/** Polls until `check` returns a truthy value (the runner's progress is in the database). */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
