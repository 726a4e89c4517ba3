import "server-only";
import { Octokit } from "@octokit/rest";
import { getEnv } from "@/lib/env";
import { githubUrls } from "./urls";

/** An Octokit for the configured GitHub (github.com, GHES or the fake), authenticated with the given token. */
export function octokitFor(token: string): Octokit {
  return new Octokit({
    auth: token,
    baseUrl: githubUrls(getEnv()).api,
    userAgent: "patchbay",
    request: { retries: 0, timeout: 15_000 },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}
