/**
 * What a comment asks Patchbay to do. A command is a line that starts with the mention (`@patchbay`, any case),
 * outside quotes (`> …`) and fenced code, so that quoting or discussing an earlier command never repeats it:
 *
 *   @patchbay review [what to focus on]      on a pull request: a review posted as a GitHub review
 *   @patchbay fix <what>                      on a pull request: a Code task whose result is pushed to its branch
 *   @patchbay <task>                          on a pull request: the same as fix; on an issue: a task that opens a PR
 *
 * The text after the mention runs to the end of the comment (a request may span lines). Pure functions.
 */

export type Command =
  | { kind: "review"; focus: string }
  | { kind: "fix"; request: string }
  | { kind: "task"; request: string }
  | { kind: "help" };

const MAX_REQUEST = 8000;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The handles a comment may address: the configured mention and the App's own `@<slug>` / `@<slug>[bot]`. */
export function mentionHandles(opts: { mention: string; appSlug?: string | null }): string[] {
  const handles = [opts.mention.replace(/^@?/, "@")];
  if (opts.appSlug) handles.push(`@${opts.appSlug}[bot]`, `@${opts.appSlug}`);
  return [...new Set(handles.map((h) => h.toLowerCase()))];
}

/** The text after the first line that starts with one of the handles, or null when no line does. */
export function mentionedText(body: string, handles: string[]): string | null {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  let fence: string | null = null;
  const pattern = new RegExp(`^\\s{0,3}(?:${handles.map(escapeRegex).join("|")})(?![\\w\\-\\[\\]/])(.*)$`, "i");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
      continue;
    }
    if (fence !== null || /^\s*>/.test(line)) continue;
    const m = pattern.exec(line);
    if (!m) continue;
    const rest = [m[1], ...lines.slice(i + 1)].join("\n");
    return rest.replace(/^[\s,:]+/, "").trim();
  }
  return null;
}

export function parseCommand(body: string, handles: string[]): Command | null {
  const text = mentionedText(body, handles);
  if (text === null) return null;
  const clipped = text.slice(0, MAX_REQUEST).trim();
  const m = /^(review|fix)\b[\s:,-]*([\s\S]*)$/i.exec(clipped);
  if (m) {
    const verb = m[1].toLowerCase();
    const rest = m[2].trim();
    if (verb === "review") return { kind: "review", focus: rest };
    return rest ? { kind: "fix", request: rest } : { kind: "help" };
  }
  return clipped ? { kind: "task", request: clipped } : { kind: "help" };
}
