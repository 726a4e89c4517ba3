/**
 * The fakes (GitHub + model) and the environment pointing lib/env at them, like tests/helpers/stack.ts but with a
 * fake model that streams text with no delay, so the figures measure Patchbay and not the fake's pacing.
 * Call before anything reads lib/env (it is parsed once per process).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFakeGitHub, type FakeGitHub } from "@/e2e/fakes/github/server";
import { startFakeModel, type FakeModel } from "@/e2e/fakes/model/server";

export type BenchStack = { github: FakeGitHub; model: FakeModel; dataDir: string; close(): Promise<void> };

export async function startBenchStack(): Promise<BenchStack> {
  const [github, model] = await Promise.all([startFakeGitHub(), startFakeModel({ textDelayMs: 0 })]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-bench-"));
  fs.chmodSync(dataDir, 0o755);
  Object.assign(process.env, {
    GITHUB_URL: github.url,
    GITHUB_API_URL: github.apiUrl,
    GITHUB_APP_ID: String(github.app.appId),
    GITHUB_APP_SLUG: github.app.slug,
    GITHUB_APP_PRIVATE_KEY: github.app.privateKeyPem,
    GITHUB_CLIENT_ID: github.app.clientId,
    GITHUB_CLIENT_SECRET: github.app.clientSecret,
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: "sk-bench-not-a-real-key",
    OPENAI_MODEL: "fake-codex",
    PATCHBAY_DATA_DIR: dataDir,
    NEXTAUTH_SECRET: "bench-secret-bench-secret-bench-secret",
  });
  return {
    github,
    model,
    dataDir,
    async close() {
      await Promise.all([github.close(), model.close()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
