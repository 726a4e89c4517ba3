/**
 * The engines that can work an attempt. Plain data, shared by the schemas, the server and the browser (the
 * composer's select and the environment form).
 */
export const ENGINE_NAMES = ["patchbay", "codex", "claude"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export const ENGINE_LABELS: Record<EngineName, string> = {
  patchbay: "Patchbay agent",
  codex: "Codex CLI",
  claude: "Claude Code",
};

/** One line per engine for the environment form: what runs and which settings it uses. */
export const ENGINE_DESCRIPTIONS: Record<EngineName, string> = {
  patchbay: "Patchbay's own loop, in the runner; any OpenAI-compatible model (OPENAI_*).",
  codex: "OpenAI's Codex CLI (codex exec) inside the sandbox; OPENAI_* through Patchbay's model gateway.",
  claude: "Anthropic's Claude Code (claude -p) inside the sandbox; ANTHROPIC_* through Patchbay's model gateway.",
};

export function isEngineName(v: unknown): v is EngineName {
  return typeof v === "string" && (ENGINE_NAMES as readonly string[]).includes(v);
}
