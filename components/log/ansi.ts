import Anser from "anser";

/** A run of terminal text with one style. Rendered as a React <span>; never as HTML. */
export type AnsiSpan = {
  text: string;
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strike?: boolean;
};

// Colours chosen to read on both the light and the dark surface (the classic palette assumes black).
const NAMED: Record<string, string> = {
  "ansi-black": "var(--muted)",
  "ansi-red": "#d1453b",
  "ansi-green": "#2f9e44",
  "ansi-yellow": "#b7860b",
  "ansi-blue": "#3b7dd8",
  "ansi-magenta": "#b450b4",
  "ansi-cyan": "#1a9ba3",
  "ansi-white": "var(--muted)",
  "ansi-bright-black": "var(--muted)",
  "ansi-bright-red": "#e5534b",
  "ansi-bright-green": "#3fb950",
  "ansi-bright-yellow": "#c99a0e",
  "ansi-bright-blue": "#539bf5",
  "ansi-bright-magenta": "#c96bd0",
  "ansi-bright-cyan": "#39c5cf",
  "ansi-bright-white": "var(--fg)",
};
const BASIC = Object.keys(NAMED);

function palette256(n: number): string {
  if (n < 16) return NAMED[BASIC[n]];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(i / 36))},${level(Math.floor(i / 6) % 6)},${level(i % 6)})`;
}

function colour(cls: string | null, truecolor: string | null): string | undefined {
  if (!cls) return undefined;
  if (cls === "ansi-truecolor") return truecolor ? `rgb(${truecolor})` : undefined;
  if (cls.startsWith("ansi-palette-")) return palette256(Number(cls.slice("ansi-palette-".length)));
  return NAMED[cls];
}

// OSC (titles, hyperlinks), charset selection and other non-CSI escapes: nothing to show.
const NON_SGR = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[()*+][0-9A-Za-z]|\x1b[=>78DEHMNOZc]/g;
const ESC_CSI = "\x1b[";
// An SGR code anser ignores: lets the text before the first escape of a line inherit the carried state.
const CARRY = "\x1b[10m";

type AnserState = { fg: string | null; bg: string | null; decorations: string[] };

/**
 * Parses terminal output line by line into styled spans, carrying the SGR state (colours, bold…) from one line
 * to the next like a terminal does. Uses anser as the SGR state machine; one instance per log chunk.
 */
export class AnsiLineParser {
  private anser = new Anser();

  /** True when no colour or decoration is active: plain lines need no parsing at all. */
  isPlain(): boolean {
    const s = this.anser as unknown as AnserState;
    return s.fg === null && s.bg === null && s.decorations.length === 0;
  }

  /** Parses one complete line (no newline), advancing the carried state. */
  parse(line: string): AnsiSpan[] {
    const clean = line.includes("\x1b") ? line.replace(NON_SGR, "") : line;
    if (!clean.includes(ESC_CSI) && this.isPlain()) return clean ? [{ text: clean }] : [];
    const pieces = clean.split(ESC_CSI);
    const spans: AnsiSpan[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const chunk = i === 0 ? CARRY + pieces[0] : ESC_CSI + pieces[i];
      // One escape per call: anser shares its decorations array between the entries of a single call.
      const entries = this.anser.ansiToJson(chunk, { json: true, use_classes: true, remove_empty: false });
      const e = entries[entries.length - 1];
      if (!e || !e.content) continue;
      const decorations = new Set(e.decorations ?? []);
      const inverse = decorations.has("reverse");
      let fg = colour(e.fg, e.fg_truecolor);
      let bg = colour(e.bg, e.bg_truecolor);
      if (inverse) [fg, bg] = [bg ?? "var(--bg)", fg ?? "var(--fg)"];
      const span: AnsiSpan = { text: decorations.has("hidden") ? " ".repeat(e.content.length) : e.content };
      if (fg) span.fg = fg;
      if (bg) span.bg = bg;
      if (decorations.has("bold")) span.bold = true;
      if (decorations.has("dim")) span.dim = true;
      if (decorations.has("italic")) span.italic = true;
      if (decorations.has("underline")) span.underline = true;
      if (decorations.has("strikethrough")) span.strike = true;
      const prev = spans[spans.length - 1];
      if (prev && sameStyle(prev, span)) prev.text += span.text;
      else spans.push(span);
    }
    return spans;
  }

  /** Parses a line without advancing the state (for the still-growing last line). */
  peek(line: string): AnsiSpan[] {
    const s = this.anser as unknown as AnserState;
    const saved = { ...(this.anser as object), decorations: [...s.decorations] };
    const spans = this.parse(line);
    Object.assign(this.anser, saved);
    return spans;
  }
}

function sameStyle(a: AnsiSpan, b: AnsiSpan): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    !!a.bold === !!b.bold &&
    !!a.dim === !!b.dim &&
    !!a.italic === !!b.italic &&
    !!a.underline === !!b.underline &&
    !!a.strike === !!b.strike
  );
}

/** Plain text of spans (for copy, search, tests). */
export function spansText(spans: AnsiSpan[]): string {
  return spans.map((s) => s.text).join("");
}

/**
 * What a terminal would leave on screen for a line containing carriage returns (progress bars): the text after
 * the last `\r` that is followed by something. A trailing `\r` (CRLF) is dropped.
 */
export function resolveCarriageReturns(line: string): string {
  if (!line.includes("\r")) return line;
  const parts = line.split("\r");
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== "") return parts[i];
  return "";
}
