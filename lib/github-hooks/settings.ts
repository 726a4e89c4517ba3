import "server-only";
import { z } from "zod";
import { getDb } from "@/db";
import { findUserById } from "@/db/queries/auth";
import { getRepoSettings, setRepoSettings } from "@/db/queries/github-hooks";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { githubError } from "@/lib/github/errors";
import { requireUserRepo } from "@/lib/github/repos";
import { configuredHandles, mentionText } from "./config";
import { hasWriteAccess, repoClient } from "./github";

export const reviewSettingsInput = z.object({ reviewOnRequest: z.boolean() }).strict();

export type ReviewSettings = {
  reviewOnRequest: boolean;
  /** Whether this person may change it (write access to the repository). */
  canChange: boolean;
  /** Whom to request a review from on GitHub for it to count, and the comment that always works. */
  reviewers: string[];
  mention: string;
  webhooksConfigured: boolean;
};

async function mayChange(userId: string, repoFullName: string): Promise<boolean> {
  const user = await findUserById(await getDb(), userId);
  if (!user?.githubLogin) return false;
  try {
    return await hasWriteAccess(await repoClient(repoFullName), user.githubLogin);
  } catch (err) {
    throw githubError(err, `checking your access to ${repoFullName}`);
  }
}

/** The repository's review settings (one per repository, shared by everyone who uses it). */
export async function getReviewSettings({ userId, repoFullName }: { userId: string; repoFullName: string }): Promise<ReviewSettings> {
  const repo = await requireUserRepo({ userId, fullName: repoFullName });
  const env = getEnv();
  const { handles, appBotLogin } = configuredHandles(env);
  const settings = await getRepoSettings(await getDb(), repo.fullName);
  return {
    reviewOnRequest: settings.reviewOnRequest,
    canChange: await mayChange(userId, repo.fullName),
    reviewers: [...(appBotLogin ? [appBotLogin] : []), handles[0].slice(1)],
    mention: mentionText(env),
    webhooksConfigured: Boolean(env.GITHUB_WEBHOOK_SECRET),
  };
}

/** Only people who may push to the repository change how it is reviewed. */
export async function saveReviewSettings(opts: { userId: string; repoFullName: string; input: z.infer<typeof reviewSettingsInput> }): Promise<ReviewSettings> {
  const repo = await requireUserRepo({ userId: opts.userId, fullName: opts.repoFullName });
  if (!(await mayChange(opts.userId, repo.fullName))) {
    throw new AppError("forbidden", `Only people with write access to ${repo.fullName} can change how it is reviewed.`, 403);
  }
  await setRepoSettings(await getDb(), repo.fullName, { reviewOnRequest: opts.input.reviewOnRequest, updatedBy: opts.userId });
  return getReviewSettings({ userId: opts.userId, repoFullName: repo.fullName });
}
