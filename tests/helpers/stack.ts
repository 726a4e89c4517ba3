import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFakeGitHub, type FakeGitHub } from "@/e2e/fakes/github/server";
import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";
import type { DbHandle } from "@/db/client";

export type TestStack = { github: FakeGitHub; model: FakeModel; dataDir: string; env: Record<string, string>; close(): Promise<void> };

/**
 * The fakes the app reaches through its ordinary configuration, and the environment that points it at them.
 * Call before anything reads lib/env (it is parsed once per process).
 */
export async function startTestStack(): Promise<TestStack> {
  const [github, model] = await Promise.all([startFakeGitHub(), startFakeModel({ textDelayMs: 1 })]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-test-"));
  fs.chmodSync(dataDir, 0o755);
  const env = {
    GITHUB_URL: github.url,
    GITHUB_API_URL: github.apiUrl,
    GITHUB_APP_ID: String(github.app.appId),
    GITHUB_APP_SLUG: github.app.slug,
    GITHUB_APP_PRIVATE_KEY: github.app.privateKeyPem,
    GITHUB_CLIENT_ID: github.app.clientId,
    GITHUB_CLIENT_SECRET: github.app.clientSecret,
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: "sk-test-not-a-real-key",
    OPENAI_MODEL: "fake-codex",
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
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Makes lib/ functions that use the process database (getDbHandle) use this handle. */
export function useDbHandle(handle: DbHandle) {
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
