import "server-only";
import { getEnv } from "@/lib/env";
import { mentionHandles } from "./commands";

/** The handles comments address Patchbay by, and the App's bot login (a review requested from it). */
export function configuredHandles(env = getEnv()): { handles: string[]; appBotLogin: string | null } {
  return {
    handles: mentionHandles({ mention: env.GITHUB_MENTION, appSlug: env.GITHUB_APP_SLUG }),
    appBotLogin: env.GITHUB_APP_SLUG ? `${env.GITHUB_APP_SLUG}[bot]`.toLowerCase() : null,
  };
}

/** The mention as written in replies (`@patchbay`). */
export function mentionText(env = getEnv()): string {
  return env.GITHUB_MENTION.replace(/^@?/, "@");
}
