export async function register() {
  // The runner needs Node APIs (child processes, the file system); the edge runtime never starts it.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startEmbeddedRunner } = await import("./lib/runner/embedded");
    await startEmbeddedRunner().catch((err) => console.error("the embedded runner did not start:", err));
  }
}
