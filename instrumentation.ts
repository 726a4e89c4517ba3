export async function register() {
  // The runner needs Node APIs (child processes, the file system); the edge runtime never starts it.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const [{ startEmbeddedRunner }, { startGitHubHooksInProcess }, { logError }] = await Promise.all([
      import("./lib/runner/embedded"),
      import("./lib/github-hooks/worker"),
      import("./lib/log"),
    ]);
    await startEmbeddedRunner().catch((err) => logError("the embedded runner did not start", err));
    // Reviews and fixes asked for on GitHub: the webhook's deliveries and the results of their tasks.
    await startGitHubHooksInProcess().catch((err) => logError("the GitHub webhook worker did not start", err));
  }
}
