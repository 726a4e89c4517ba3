/**
 * What Patchbay says on GitHub. Every reply names the person it answers and never quotes a command back at the start
 * of a line (the App's own comments are ignored anyway, but a quoted command should not read as a new one).
 */

const APP = "Patchbay";

export function usage(mention: string): string {
  return [
    `Here is what ${APP} can do from a comment:`,
    "",
    `- \`${mention} review\` on a pull request: a review with inline comments, ranked P0–P3 (add what to focus on after it).`,
    `- \`${mention} fix <what to change>\` on a pull request: ${APP} makes the change and pushes it to the pull request's branch.`,
    `- \`${mention} <what to do>\` on an issue: ${APP} works on it and opens a pull request that fixes the issue.`,
  ].join("\n");
}

export const messages = {
  help: (who: string, mention: string) => `@${who} ${usage(mention)}`,
  notAllowed: (who: string, repo: string) =>
    `@${who} Sorry — only people with write access to ${repo} can ask ${APP} for reviews and changes. ` +
    `A maintainer can ask on your behalf.`,
  signInFirst: (who: string, appUrl: string) =>
    `@${who} ${APP} works for people who use it, and this GitHub account has not signed in to it yet. ` +
    `Sign in once at ${appUrl} with GitHub, then ask again — the task will show on your board.`,
  reviewNeedsPull: (who: string, mention: string) =>
    `@${who} Reviews are for pull requests. On an issue, write \`${mention} <what to do>\` and ${APP} opens a pull request for it.`,
  fork: (who: string) =>
    `@${who} Sorry — ${APP} cannot work on pull requests from forks yet: their branch lives in another repository.`,
  notOpen: (who: string, number: number) => `@${who} Pull request #${number} is closed, so ${APP} left it alone.`,
  couldNotStart: (who: string, reason: string) => `@${who} ${APP} could not start on this: ${reason}`,
  failed: (who: string, what: string, reason: string, taskUrl: string) =>
    `@${who} The ${what} did not finish: ${reason} [Open the task in ${APP}](${taskUrl}).`,
  noChanges: (who: string, summary: string, taskUrl: string) =>
    `@${who} ${APP} finished without changing any file, so nothing was pushed.${summary ? `\n\n${summary}` : ""}\n\n[Open the task in ${APP}](${taskUrl})`,
  pushed: (who: string, opts: { sha: string; branch: string; bullets: string[]; taskUrl: string }) =>
    [
      `@${who} Pushed ${opts.sha.slice(0, 7)} to \`${opts.branch}\`.`,
      ...(opts.bullets.length ? ["", ...opts.bullets.map((b) => `- ${b}`)] : []),
      "",
      `[Open the task in ${APP}](${opts.taskUrl})`,
    ].join("\n"),
  pushFailed: (who: string, reason: string, taskUrl: string) =>
    `@${who} ${APP} made the change but could not push it: ${reason}\n\n[Open the task in ${APP}](${taskUrl}) to copy the patch or try again.`,
  opened: (who: string, opts: { url: string; number: number; taskUrl: string }) =>
    `@${who} Opened #${opts.number} for this: ${opts.url}\n\n[Open the task in ${APP}](${opts.taskUrl})`,
  openFailed: (who: string, reason: string, taskUrl: string) =>
    `@${who} ${APP} made the change but could not open a pull request: ${reason}\n\n[Open the task in ${APP}](${taskUrl}) to try again.`,
};
