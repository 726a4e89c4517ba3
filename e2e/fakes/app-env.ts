import type { FakeGitHub } from "./github/server";

/** The app's configuration pointing it at a fake GitHub and a fake model (demo, e2e, tests, benches). */
export function appEnvFor(github: FakeGitHub, modelUrl: string): Record<string, string> {
  return {
    GITHUB_URL: github.url,
    GITHUB_API_URL: github.apiUrl,
    GITHUB_APP_ID: String(github.app.appId),
    GITHUB_APP_SLUG: github.app.slug,
    GITHUB_APP_PRIVATE_KEY: github.app.privateKeyPem,
    GITHUB_CLIENT_ID: github.app.clientId,
    GITHUB_CLIENT_SECRET: github.app.clientSecret,
    GITHUB_WEBHOOK_SECRET: github.app.webhookSecret,
    OPENAI_BASE_URL: modelUrl,
    OPENAI_API_KEY: "sk-fake-model-not-a-real-key",
    OPENAI_MODEL: "fake-codex",
    // Claude Code's Messages API: the same fake (aimock speaks it), on its host (Claude Code adds /v1 itself).
    ANTHROPIC_BASE_URL: modelUrl.replace(/\/v1\/?$/, ""),
    ANTHROPIC_API_KEY: "sk-ant-fake-model-not-a-real-key",
    ANTHROPIC_MODEL: "fake-claude",
  };
}
