import "server-only";

/**
 * Typographic punctuation folded to ASCII in the last, most lenient matching pass, so that a patch the model wrote
 * with plain `-`, `'`, `"` and spaces still finds lines holding dashes, curly quotes or non-breaking spaces (and the
 * other way round). The same passes, in the same order, as the Codex CLI's apply_patch, which the models are trained on.
 */
const PUNCTUATION: Record<string, string> = {
  "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
  "\u2018": "'", "\u2019": "'", "\u201A": "'", "\u201B": "'",
  "\u201C": '"', "\u201D": '"', "\u201E": '"', "\u201F": '"',
  "\u00A0": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ", "\u2007": " ",
  "\u2008": " ", "\u2009": " ", "\u200A": " ", "\u202F": " ", "\u205F": " ", "\u3000": " ",
};
const PUNCTUATION_RE = new RegExp(`[${Object.keys(PUNCTUATION).join("")}]`, "g");

export function foldPunctuation(s: string): string {
  return s.replace(PUNCTUATION_RE, (c) => PUNCTUATION[c] ?? c);
}

/** The matching passes, strictest first: exact, trailing whitespace ignored, surrounding whitespace ignored, punctuation folded. */
export const MATCH_PASSES: readonly ((s: string) => string)[] = [
  (s) => s,
  (s) => s.trimEnd(),
  (s) => s.trim(),
  (s) => foldPunctuation(s.trim()).trim(),
];

function matchesAt(lines: readonly string[], pattern: readonly string[], at: number, norm: (s: string) => string): boolean {
  if (at < 0 || at + pattern.length > lines.length) return false;
  for (let k = 0; k < pattern.length; k++) if (norm(lines[at + k]) !== norm(pattern[k])) return false;
  return true;
}

/**
 * Finds `pattern` in `lines` at or after `from`, trying each pass over the whole range before the next, more lenient
 * one. With `atEnd` the end of the file is tried first in each pass (an `*** End of File` hunk), then the rest.
 * Returns the index of the first matching line, or -1.
 */
export function seekSequence(lines: readonly string[], pattern: readonly string[], from: number, atEnd: boolean): number {
  if (pattern.length === 0) return from;
  if (pattern.length > lines.length) return -1;
  for (const norm of MATCH_PASSES) {
    if (atEnd) {
      const at = lines.length - pattern.length;
      if (at >= from && matchesAt(lines, pattern, at, norm)) return at;
    }
    for (let at = from; at + pattern.length <= lines.length; at++) if (matchesAt(lines, pattern, at, norm)) return at;
  }
  return -1;
}
