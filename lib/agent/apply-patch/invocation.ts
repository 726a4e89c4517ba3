import "server-only";

/**
 * Recognises a patch sent through the shell rather than the apply_patch tool, as Codex models often do:
 * `["apply_patch", "<patch>"]`, or `["bash", "-lc", "apply_patch <<'EOF'\n…\nEOF"]`, optionally after `cd <dir> &&`.
 * Such a command must never reach the sandbox (there is no apply_patch binary there: exit 127); the host-side patcher
 * applies it instead, with paths relative to the command's directory.
 */
export type ShellPatch =
  | { kind: "patch"; patch: string; /** `cd` target of the script, relative to the command's workdir (or absolute). */ cd?: string }
  | { kind: "malformed"; message: string };

const PATCH_COMMANDS = new Set(["apply_patch", "applypatch"]);
const SHELLS = new Set(["bash", "sh", "zsh", "dash"]);

const ONLY_COMMAND =
  "apply_patch must be the only command: send the patch on its own, with the apply_patch tool or as " +
  "`apply_patch <<'EOF'` … `EOF` (optionally after `cd <dir> &&`), then run other commands in a separate call";

function basename(cmd: string): string {
  return cmd.slice(cmd.lastIndexOf("/") + 1);
}

/** A shell word: bare (no metacharacters), 'single quoted' or "double quoted" without expansions. */
function readWord(s: string): { word: string; rest: string } | null {
  let m = /^'([^']*)'/.exec(s);
  if (m) return { word: m[1], rest: s.slice(m[0].length) };
  m = /^"((?:[^"\\$`]|\\["\\$`])*)"/.exec(s);
  if (m) return { word: m[1].replace(/\\(["\\$`])/g, "$1"), rest: s.slice(m[0].length) };
  m = /^[^\s'"`$;&|<>()\\]+/.exec(s);
  if (m) return { word: m[0], rest: s.slice(m[0].length) };
  return null;
}

/** The heredoc form: `<<'EOF'\n…\nEOF` (also `<<EOF`, `<<"EOF"`, `<<-EOF`), with nothing after the terminator. */
function readHeredoc(s: string): string | null {
  const m = /^<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2[ \t]*\n/.exec(s);
  if (!m) return null;
  const stripTabs = m[1] === "-";
  const tag = m[3];
  const lines = s.slice(m[0].length).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = stripTabs ? lines[i].replace(/^\t+/, "") : lines[i];
    if (line.trimEnd() === tag) {
      if (lines.slice(i + 1).some((l) => l.trim() !== "")) return null;
      return lines
        .slice(0, i)
        .map((l) => (stripTabs ? l.replace(/^\t+/, "") : l))
        .join("\n");
    }
  }
  return null;
}

function fromScript(script: string): ShellPatch | null {
  let s = script.trim();
  if (s.startsWith("*** Begin Patch")) return { kind: "patch", patch: s }; // a bare patch: the intent is plain
  let cd: string | undefined;
  const cdMatch = /^cd\s+/.exec(s);
  if (cdMatch) {
    const w = readWord(s.slice(cdMatch[0].length));
    const rest = w ? w.rest.replace(/^[ \t]*/, "") : "";
    if (!w || !rest.startsWith("&&")) return mentionsPatch(s) ? { kind: "malformed", message: ONLY_COMMAND } : null;
    cd = w.word;
    s = rest.slice(2).trimStart();
  }
  const cmd = /^(apply_patch|applypatch)(?=\s|$)/.exec(s);
  if (!cmd) return mentionsPatch(s) ? { kind: "malformed", message: ONLY_COMMAND } : null;
  const after = s.slice(cmd[0].length).replace(/^[ \t]+/, "");
  const heredoc = readHeredoc(after);
  if (heredoc !== null) return { kind: "patch", patch: heredoc, cd };
  const word = readWord(after);
  if (word && word.rest.trim() === "") return { kind: "patch", patch: word.word, cd };
  return { kind: "malformed", message: ONLY_COMMAND };
}

function mentionsPatch(script: string): boolean {
  return /(^|[\s;&|(])(apply_patch|applypatch)\b/.test(script) && script.includes("*** Begin Patch");
}

/** Returns the patch a shell command carries, a message when it tries to patch in a form we will not guess at, or null. */
export function patchFromShell(argv: string[]): ShellPatch | null {
  if (argv.length === 0) return null;
  const cmd = basename(argv[0]);
  if (PATCH_COMMANDS.has(cmd)) {
    if (argv.length === 2) return { kind: "patch", patch: argv[1] };
    return {
      kind: "malformed",
      message: 'apply_patch takes the whole patch as its single argument: ["apply_patch", "*** Begin Patch\\n…\\n*** End Patch"]',
    };
  }
  if (argv.length === 1 && argv[0].trim().startsWith("*** Begin Patch")) return { kind: "patch", patch: argv[0] };
  if (argv.length === 3 && SHELLS.has(cmd) && /^-(l?c|cl)$/.test(argv[1])) return fromScript(argv[2]);
  return null;
}
