import { parseCitations, type CitationSegment } from "./citations";

type Found = Extract<CitationSegment, { type: "citation" }>;

// Private-use characters mark where a citation was, so Markdown parsing (emphasis on `_` in paths…) can't split it.
const OPEN = "\uE000";
const CLOSE = "\uE001";
const MARK = /\uE000(\d+)\uE001/g;

/** Swaps each citation for a marker before Markdown parsing; returns the marked source and the citations. */
export function markCitations(text: string): { source: string; citations: Found[] } {
  const citations: Found[] = [];
  let source = "";
  for (const seg of parseCitations(text.replace(/[\uE000\uE001]/g, ""))) {
    if (seg.type === "text") source += seg.text;
    else {
      source += `${OPEN}${citations.length}${CLOSE}`;
      citations.push(seg);
    }
  }
  return { source, citations };
}

type MdNode = {
  type: string;
  value?: string;
  url?: string;
  title?: string | null;
  alt?: string | null;
  children?: MdNode[];
  data?: Record<string, unknown>;
};

/**
 * remark plugin: turns markers in text into `cite` elements (rendered as buttons by the component). In code, link
 * text, URLs and titles the original citation text is put back instead.
 */
export function remarkCitations(citations: readonly Found[]) {
  const restore = (s: string) => s.replace(MARK, (_, n: string) => citations[Number(n)]?.raw ?? "");
  const walk = (node: MdNode, inLink: boolean) => {
    for (const key of ["url", "title", "alt"] as const) {
      const v = node[key];
      if (typeof v === "string" && v.includes(OPEN)) node[key] = restore(v);
    }
    if (node.type !== "text" && typeof node.value === "string" && node.value.includes(OPEN)) node.value = restore(node.value);
    if (!node.children) return;
    const linkish = inLink || node.type === "link" || node.type === "linkReference";
    const next: MdNode[] = [];
    for (const child of node.children) {
      if (child.type === "text" && typeof child.value === "string" && child.value.includes(OPEN)) {
        if (linkish) {
          child.value = restore(child.value);
          next.push(child);
          continue;
        }
        let last = 0;
        for (const m of child.value.matchAll(MARK)) {
          if (m.index > last) next.push({ type: "text", value: child.value.slice(last, m.index) });
          next.push({ type: "citation", children: [], data: { hName: "cite", hProperties: { dataCitation: m[1] } } });
          last = m.index + m[0].length;
        }
        if (last < child.value.length) next.push({ type: "text", value: child.value.slice(last) });
      } else {
        walk(child, linkish);
        next.push(child);
      }
    }
    node.children = next;
  };
  return () => (tree: unknown) => walk(tree as MdNode, false);
}
