export async function register() {
  // The runner needs Node APIs (child processes, the file system); the edge runtime never starts it.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const [{ startEmbeddedRunner }, { logError }] = await Promise.all([import("./lib/runner/embedded"), import("./lib/log")]);
    await startEmbeddedRunner().catch((err) => logError("the embedded runner did not start", err));
  }
}
