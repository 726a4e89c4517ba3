import "server-only";
import { getDb } from "@/db";
import { findEnvironment, upsertEnvironment, type EnvironmentRow } from "@/db/queries/environments";
import { decryptText, encryptText } from "@/lib/crypto";
import { requireUserRepo } from "@/lib/github/repos";
import type { EnvironmentInput, EnvironmentView } from "./schemas";


export function readSecrets(row: Pick<EnvironmentRow, "secretsEncrypted">): Record<string, string> {
  if (!row.secretsEncrypted) return {};
  return JSON.parse(decryptText(row.secretsEncrypted)) as Record<string, string>;
}

function view(repoFullName: string, row: EnvironmentRow | null): EnvironmentView {
  return {
    repoFullName,
    setupScript: row?.setupScript ?? "",
    envVars: row?.envVars ?? {},
    secretNames: row ? Object.keys(readSecrets(row)).sort() : [],
    internetPolicy: row?.internetPolicy === "on" ? "on" : "off",
    setupTimeoutSeconds: row?.setupTimeoutSeconds ?? 1200,
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
      envVars: input.envVars,
      secretsEncrypted: Object.keys(secrets).length ? encryptText(JSON.stringify(secrets)) : null,
      internetPolicy: input.internetPolicy,
      setupTimeoutSeconds: input.setupTimeoutSeconds,
    },
  );
  return view(repo.fullName, saved);
}
