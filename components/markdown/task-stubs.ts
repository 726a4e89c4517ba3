/** A Code task an Ask answer proposes: a `:::task-stub{title="…"}` block, its body up to a line `:::`. */
export type TaskStub = { title: string; body: string };

export type MessagePart = { kind: "markdown"; text: string } | { kind: "stub"; stub: TaskStub };

const OPEN = /^[ \t]*:::task-stub(?:\{([^}\n]*)\})?[ \t]*$/;
const CLOSE = /^[ \t]*:::[ \t]*$/;

function titleOf(attrs: string | undefined): string {
  const m = attrs ? /title\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))/.exec(attrs) : null;
  return (m?.[1] ?? m?.[2] ?? m?.[3] ?? "").trim();
}

/**
 * Splits an agent's message into Markdown and the task stubs between it. Code fences are left alone (a stub shown
 * as an example inside ``` stays text); a stub never closed stays text too.
 */
export function splitTaskStubs(text: string): MessagePart[] {
  const lines = text.split("\n");
  const parts: MessagePart[] = [];
  let md: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    const joined = md.join("\n");
    if (joined.trim()) parts.push({ kind: "markdown", text: joined });
    md = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const f = /^[ \t]*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
      md.push(line);
      continue;
    }
    const open = fence === null ? OPEN.exec(line) : null;
    if (open) {
      const end = lines.findIndex((l, j) => j > i && CLOSE.test(l));
      if (end > i) {
        flush();
        const body = lines.slice(i + 1, end).join("\n").trim();
        const title = titleOf(open[1]) || body.split("\n")[0].slice(0, 72) || "Proposed task";
        parts.push({ kind: "stub", stub: { title, body } });
        i = end;
        continue;
      }
    }
    md.push(line);
  }
  flush();
  return parts;
}

/** The prompt a stub's Start task sends: its title, then what to do. */
export function stubPrompt(stub: TaskStub): string {
  return stub.body ? `${stub.title}\n\n${stub.body}` : stub.title;
}
