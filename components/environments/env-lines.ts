/** `KEY=value` lines ⇄ a record; blank lines and `#` comments are ignored. */
export function parseEnvLines(text: string): { vars: Record<string, string>; errors: string[] } {
  const vars: Record<string, string> = {};
  const errors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      errors.push(`Line ${i + 1}: expected NAME=value`);
      return;
    }
    vars[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return { vars, errors };
}

export function formatEnvLines(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}
