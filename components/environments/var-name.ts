/**
 * The server's rule for variable and secret names (lib/environments/schemas.ts), checked as a name is added so a bad
 * one is named at once, before anything is sent. Null when the name is fine.
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const RESERVED_NAMES = ["PATH", "HOME", "PWD", "SHELL", "USER", "LANG", "TERM"];

export function varNameProblem(name: string): string | null {
  if (!name) return "Give the secret a name.";
  if (name.length > 64) return `“${name.slice(0, 20)}…” is too long: names are at most 64 characters.`;
  if (/^[0-9]/.test(name)) return `“${name}” starts with a digit: names start with a letter or _.`;
  if (!NAME.test(name)) return `“${name}” is not a valid name: use letters, digits and _ only (for example API_TOKEN).`;
  if (RESERVED_NAMES.includes(name)) return `${name} is set by the sandbox; choose another name.`;
  return null;
}
