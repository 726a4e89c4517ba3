/** The prompts of Code tasks started from GitHub: the person's words first (they make the title), then the context. */

const MAX_CONTEXT = 6000;

function quote(text: string | null | undefined): string[] {
  const t = (text ?? "").trim();
  if (!t) return [];
  const clipped = t.length > MAX_CONTEXT ? `${t.slice(0, MAX_CONTEXT)}…` : t;
  return clipped.split("\n").map((l) => `> ${l}`);
}

/** `@patchbay fix <what>` on a pull request: a change on its branch. */
export function fixPrompt(opts: { request: string; repoFullName: string; number: number; title: string; headRef: string; requestedBy: string }): string {
  return [
    opts.request,
    "",
    `This is a change to pull request #${opts.number} of ${opts.repoFullName} ("${opts.title}"), asked for by @${opts.requestedBy}. ` +
      `The checkout is the pull request's branch \`${opts.headRef}\`; what you change is committed on top of it and pushed to it.`,
  ].join("\n");
}

/** `@patchbay <task>` on an issue: work whose pull request fixes the issue. */
export function issuePrompt(opts: { request: string; repoFullName: string; number: number; title: string; body: string | null | undefined; requestedBy: string }): string {
  return [
    opts.request,
    "",
    `This comes from issue #${opts.number} of ${opts.repoFullName}, "${opts.title}", asked for by @${opts.requestedBy}. ` +
      "The pull request made from your changes will close it.",
    ...(quote(opts.body).length ? ["", "The issue says:", ...quote(opts.body)] : []),
  ].join("\n");
}
