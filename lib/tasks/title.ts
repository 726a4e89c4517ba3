/** A short title from a prompt: its first non-empty line, without Markdown noise, cut at a word near 72 chars. */
export function titleFromPrompt(prompt: string): string {
  const line =
    prompt
      .split("\n")
      .map((l) => l.replace(/^[#>*\-\s`]+/, "").replace(/\[(?:scenario|ask):?[^\]]*\]\s*/gi, "").trim())
      .find((l) => l.length > 0) ?? "Untitled task";
  if (line.length <= 72) return line;
  const cut = line.slice(0, 72);
  const space = cut.lastIndexOf(" ");
  return `${(space > 40 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, "")}…`;
}
