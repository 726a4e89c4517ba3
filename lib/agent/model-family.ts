import "server-only";

/**
 * Which tools a model is offered, as the Codex CLI decides it per model family:
 * - `exec_command`: current codex models (Codex's "unified exec"): `exec_command` (a command string, with sessions
 *   that outlive one call) + `write_stdin` + `apply_patch` + `update_plan` + `view_image`;
 * - `shell`: earlier models and every model Codex does not know (local and compatible servers): `shell` (argv) +
 *   `apply_patch` + `update_plan`.
 * Calls to a tool of the other surface are still executed: models trained on one surface sometimes call the other.
 */
export type ToolSurface = "exec_command" | "shell";

export type ModelFamily = {
  surface: ToolSurface;
  /** A reasoning model: encrypted reasoning is carried between steps and summaries are asked for. */
  reasoning: boolean;
  /** Input tokens the model accepts, when known (Codex's figures); compaction keys off it. */
  contextWindow: number | null;
};

const CODEX_CONTEXT_WINDOW = 272_000;

type Rule = { test: RegExp } & ModelFamily;

/** First match wins; `slug` is the model name lowercased, without a provider prefix (`openai/gpt-5-codex`). */
const RULES: Rule[] = [
  { test: /^codex-mini/, surface: "shell", reasoning: true, contextWindow: 200_000 },
  { test: /^(gpt-5(\.\d+)?-codex|codex-|exp-)/, surface: "exec_command", reasoning: true, contextWindow: CODEX_CONTEXT_WINDOW },
  // gpt-5.2 and later, gpt-6…: Codex runs them all with unified exec.
  { test: /^(gpt-5\.([2-9]|\d{2,})|gpt-([6-9]|\d{2,}))(\b|[.-])/, surface: "exec_command", reasoning: true, contextWindow: CODEX_CONTEXT_WINDOW },
  { test: /^gpt-5/, surface: "shell", reasoning: true, contextWindow: CODEX_CONTEXT_WINDOW },
  { test: /^(o3|o4-mini|o1)/, surface: "shell", reasoning: true, contextWindow: 200_000 },
  { test: /^gpt-oss/, surface: "shell", reasoning: true, contextWindow: 96_000 },
  { test: /^gpt-4\.1/, surface: "shell", reasoning: false, contextWindow: 1_047_576 },
  { test: /^gpt-4o/, surface: "shell", reasoning: false, contextWindow: 128_000 },
  { test: /^gpt-3\.5/, surface: "shell", reasoning: false, contextWindow: 16_385 },
];

export function modelSlug(model: string): string {
  const name = model.trim().toLowerCase();
  return name.slice(name.lastIndexOf("/") + 1);
}

export function modelFamily(model: string): ModelFamily {
  const slug = modelSlug(model);
  const rule = RULES.find((r) => r.test.test(slug));
  if (!rule) return { surface: "shell", reasoning: false, contextWindow: null };
  const { surface, reasoning, contextWindow } = rule;
  return { surface, reasoning, contextWindow };
}
