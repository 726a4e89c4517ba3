import "server-only";
import { z } from "zod";
import type { DbHandle } from "@/db";
import { findEnvironment } from "@/db/queries/environments";
import { ensureSandboxUser } from "@/lib/sandbox";
import { isRoot } from "@/lib/sandbox/host-user";
import type { RunnerConfig } from "./config";
import { warmEntries } from "./prepare-workspace";
import { resolveCommit, syncMirror } from "./workspace";

const request = z.object({
  repoFullName: z.string().regex(/^[A-Za-z0-9._-]{1,100}\/[A-Za-z0-9._-]{1,100}$/),
  branch: z.string().min(1).max(255),
  userId: z.string().uuid(),
});

/** Warm starts per repository and branch at most this often (a person clicking around the picker). */
const WARM_EVERY_MS = 30_000;
const lastWarm = new Map<string, number>();

/**
 * A repository was picked in the composer: fetch its mirror and ready the checkout the next attempt will start
 * from (see warmEntries), so that the submit that follows does not wait for either.
 */
export async function warm(handle: DbHandle, config: RunnerConfig, payload: string): Promise<string | null> {
  const parsed = request.safeParse(JSON.parse(payload || "null"));
  if (!parsed.success) return null;
  const { repoFullName, branch, userId } = parsed.data;
  const key = `${repoFullName}\0${branch}`;
  if (Date.now() - (lastWarm.get(key) ?? 0) < WARM_EVERY_MS) return null;
  lastWarm.set(key, Date.now());
  const mirror = await syncMirror({
    dataDir: config.dataDir,
    repoFullName,
    remoteUrl: config.github.remoteUrl(repoFullName),
    token: () => config.github.tokenFor(repoFullName),
    freshMs: config.mirrorFreshMs,
  });
  const commit = await resolveCommit(mirror, branch);
  if (!commit) return null;
  const environment = await findEnvironment(handle.db, userId, repoFullName);
  const sandboxUser = isRoot() ? await ensureSandboxUser() : null;
  return warmEntries({ config, mirror, repoFullName, commit, environment, sandboxUser });
}
