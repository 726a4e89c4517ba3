import type { Citation, LineRange } from "@/components/log/types";

export type { Citation } from "@/components/log/types";

export type CitationSegment = { type: "text"; text: string } | { type: "citation"; citation: Citation; raw: string };

// 【F:path†L10-L20】, 【F:path†L10】, 【F:path】, 【c2†L3-L7】, 【c2】 (inner text on one line, bounded length).
const CITATION = /【([^【】\n]{1,1000})】/g;
const CHUNK_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const LINES = /^L?(\d+)(?:\s*[-–—]\s*L?(\d+))?$/i;

function parseLines(spec: string | undefined): LineRange | undefined | null {
  if (spec === undefined) return undefined;
  const m = LINES.exec(spec.trim());
  if (!m) return null;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b < 1) return null;
  return a <= b ? [a, b] : [b, a];
}

/** The citation inside one pair of 【】 brackets, or null when the text is not a citation. */
export function parseCitation(inner: string): Citation | null {
  const dagger = inner.indexOf("†");
  const head = (dagger === -1 ? inner : inner.slice(0, dagger)).trim();
  const lines = parseLines(dagger === -1 ? undefined : inner.slice(dagger + 1));
  if (lines === null) return null;
  if (head.startsWith("F:")) {
    const path = head.slice(2).trim().replace(/^\.\//, "");
    if (!path) return null;
    return lines ? { kind: "file", path, lines } : { kind: "file", path };
  }
  if (!CHUNK_ID.test(head)) return null;
  return lines ? { kind: "chunk", chunkId: head, lines } : { kind: "chunk", chunkId: head };
}

/** Splits text into plain runs and citations. Bracketed text that is not a citation stays text. */
export function parseCitations(text: string): CitationSegment[] {
  const out: CitationSegment[] = [];
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = out[out.length - 1];
    if (prev?.type === "text") prev.text += t;
    else out.push({ type: "text", text: t });
  };
  for (const m of text.matchAll(CITATION)) {
    const citation = parseCitation(m[1]);
    if (!citation) continue;
    push(text.slice(last, m.index));
    out.push({ type: "citation", citation, raw: m[0] });
    last = m.index + m[0].length;
  }
  push(text.slice(last));
  return out;
}

function linesLabel(lines: LineRange | undefined): string {
  if (!lines) return "";
  return lines[0] === lines[1] ? `:${lines[0]}` : `:${lines[0]}-${lines[1]}`;
}

/** Short label for the inline chip: `greet.js:1-3`, `log c2:3-7`. */
export function citationLabel(c: Citation): string {
  if (c.kind === "file") {
    const base = c.path.replace(/\/+$/, "").split("/").pop() || c.path;
    return `${base}${linesLabel(c.lines)}`;
  }
  return `log ${c.chunkId}${linesLabel(c.lines)}`;
}

/** Longer description for the tooltip and the accessible name. */
export function citationDescription(c: Citation): string {
  const lines = c.lines ? (c.lines[0] === c.lines[1] ? `line ${c.lines[0]}` : `lines ${c.lines[0]}–${c.lines[1]}`) : "";
  return c.kind === "file"
    ? `Open ${c.path}${lines ? `, ${lines}` : ""}`
    : `Open log chunk ${c.chunkId}${lines ? `, ${lines}` : ""}`;
}

/** Only http(s) links survive; anything else (javascript:, data:, relative) becomes plain text. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}
