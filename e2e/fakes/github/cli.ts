/**
 * Starts the fake GitHub and prints the env vars the app needs.
 *   tsx e2e/fakes/github/cli.ts --port 3101 [--host 127.0.0.1] [--fixture path] [--data-dir dir] [--env-out out.env] [--verbose]
 * Stays up until SIGINT/SIGTERM.
 *
 * `--env-file` is accepted as an alias of `--env-out`, but Node 20 itself reads `--env-file <path>` anywhere on
 * the command line (even after the script) and exits when that file does not exist yet, so prefer `--env-out`.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { startFakeGitHub, type FakeGitHub } from "./server";

/** The app's configuration for this fake, as KEY="value" lines (PEM newlines escaped as \n). */
export function envLines(gh: FakeGitHub): string {
  const vars: Record<string, string> = {
    GITHUB_URL: gh.url,
    GITHUB_API_URL: gh.apiUrl,
    GITHUB_APP_ID: String(gh.app.appId),
    GITHUB_APP_SLUG: gh.app.slug,
    GITHUB_CLIENT_ID: gh.app.clientId,
    GITHUB_CLIENT_SECRET: gh.app.clientSecret,
    GITHUB_APP_PRIVATE_KEY: gh.app.privateKeyPem,
  };
  return Object.entries(vars)
    .map(([k, v]) => `${k}="${v.trim().replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "3101" },
      host: { type: "string" },
      fixture: { type: "string" },
      "data-dir": { type: "string" },
      "env-out": { type: "string" },
      "env-file": { type: "string" },
      verbose: { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  const started = Date.now();
  const gh = await startFakeGitHub({
    port,
    host: values.host,
    fixturePath: values.fixture,
    dataDir: values["data-dir"],
    verbose: values.verbose,
  });
  const env = envLines(gh);
  const envOut = values["env-out"] ?? values["env-file"];
  if (envOut) await writeFile(envOut, `${env}\n`, { mode: 0o600 });
  console.log(env);
  console.error(`[fake-github] listening on ${gh.url} (ready in ${Date.now() - started} ms; repos in ${gh.dataDir})`);

  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`[fake-github] ${signal}: shutting down`);
    gh.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error("[fake-github] failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
