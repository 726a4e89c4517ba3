import "server-only";
import { getDb } from "@/db";
import { bumpCacheGeneration, cacheSummary, findEnvironment, upsertEnvironment, type EnvironmentRow } from "@/db/queries/environments";
import { COMMON_REGISTRIES } from "@/lib/network/policy";
import { decryptText, encryptText } from "@/lib/crypto";
import { getEnv } from "@/lib/env";
import { requireUserRepo } from "@/lib/github/repos";
import type { EnvironmentInput, EnvironmentView } from "./schemas";


export function readSecrets(row: Pick<EnvironmentRow, "secretsEncrypted">): Record<string, string> {
  if (!row.secretsEncrypted) return {};
  return JSON.parse(decryptText(row.secretsEncrypted)) as Record<string, string>;
}

const READ_METHODS = ["GET", "HEAD", "OPTIONS"];

async function view(repoFullName: string, row: EnvironmentRow | null): Promise<EnvironmentView> {
  const cache = row ? await cacheSummary(await getDb(), row.id) : { entries: 0, bytes: 0, newestAt: null };
  return {
    repoFullName,
    setupScript: row?.setupScript ?? "",
    maintenanceScript: row?.maintenanceScript ?? "",
    envVars: row?.envVars ?? {},
    secretNames: row ? Object.keys(readSecrets(row)).sort() : [],
    internetPolicy: row?.internetPolicy ?? "off",
    allowlistPreset: row?.allowlistPreset ?? "none",
    allowedDomains: row?.allowedDomains ?? [],
    allowedMethods: row && row.allowedMethods.length > 0 ? "read" : "all",
    setupInternetPolicy: row?.setupInternetPolicy ?? "on",
    setupTimeoutSeconds: row?.setupTimeoutSeconds ?? 1200,
    engine: row?.engine ?? null,
    defaultEngine: getEnv().PATCHBAY_DEFAULT_ENGINE,
    commonRegistries: [...COMMON_REGISTRIES],
    cache,
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

export async function getEnvironment({ userId, repoFullName }: { userId: string; repoFullName: string }): Promise<EnvironmentView> {
  const repo = await requireUserRepo({ userId, fullName: repoFullName });
  return view(repo.fullName, await findEnvironment(await getDb(), userId, repo.fullName));
}

/** Saves a repository's environment for this user. Secrets are sealed at rest and never returned. */
export async function saveEnvironment({ userId, repoFullName, input }: { userId: string; repoFullName: string; input: EnvironmentInput }) {
  const repo = await requireUserRepo({ userId, fullName: repoFullName });
  const db = await getDb();
  const existing = await findEnvironment(db, userId, repo.fullName);
  const secrets = { ...(existing ? readSecrets(existing) : {}), ...input.secrets };
  for (const name of input.removeSecrets) delete secrets[name];
  const saved = await upsertEnvironment(
    db,
    { ownerId: userId, repoFullName: repo.fullName },
    {
      defaultBranch: repo.defaultBranch,
      setupScript: input.setupScript,
      maintenanceScript: input.maintenanceScript,
      envVars: input.envVars,
      secretsEncrypted: Object.keys(secrets).length ? encryptText(JSON.stringify(secrets)) : null,
      internetPolicy: input.internetPolicy,
      allowlistPreset: input.allowlistPreset,
      allowedDomains: [...new Set(input.allowedDomains)],
      allowedMethods: input.allowedMethods === "read" ? READ_METHODS : [],
      setupInternetPolicy: input.setupInternetPolicy,
      setupTimeoutSeconds: input.setupTimeoutSeconds,
      engine: input.engine,
    },
  );
  return view(repo.fullName, saved);
}

/** Reset cache: no prepared environment made before now is used again; the runners delete their files. */
export async function resetEnvironmentCache({ userId, repoFullName }: { userId: string; repoFullName: string }): Promise<EnvironmentView> {
  const repo = await requireUserRepo({ userId, fullName: repoFullName });
  const db = await getDb();
  const row = await findEnvironment(db, userId, repo.fullName);
  if (!row) return view(repo.fullName, null);
  return view(repo.fullName, await bumpCacheGeneration(db, row.id));
}
