"use client";

import { memo, useMemo, type ReactNode } from "react";
import Markdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import type { Citation } from "@/components/log/types";
import { citationDescription, citationLabel, safeHref } from "./citations";
import { markCitations, remarkCitations } from "./remark-citations";

export type AgentMarkdownProps = {
  /** The agent's final message (untrusted Markdown). */
  text: string;
  onCitation: (c: Citation) => void;
  className?: string;
};

// The agent's text is untrusted: raw HTML shows as text (react-markdown never injects it) and links keep only http(s).
const urlTransform = (url: string) => safeHref(url) ?? "";

/** The agent's message as Markdown, with its 【F:path†L1-L3】 and 【c2†L3-L7】 citations as link-buttons. */
export const AgentMarkdown = memo(function AgentMarkdown({ text, onCitation, className = "" }: AgentMarkdownProps) {
  const { source, citations } = useMemo(() => markCitations(text), [text]);
  const remarkPlugins = useMemo(() => [remarkGfm, remarkCitations(citations)], [citations]);

  const components = useMemo<Components>(
    () => ({
      cite: ({ node }) => {
        const index = Number(node?.properties?.dataCitation);
        const found = citations[index];
        if (!found) return null;
        return <CitationButton citation={found.citation} onCitation={onCitation} />;
      },
      a: ({ href, children }) => {
        const safe = safeHref(href);
        if (!safe) return <span>{children}</span>;
        return (
          <a href={safe} target="_blank" rel="noopener noreferrer nofollow" className="text-ring underline underline-offset-2 hover:opacity-80">
            {children}
          </a>
        );
      },
      // Remote images would load on view (a tracking pixel from untrusted text): show their alt text only.
      img: ({ alt }) => <span className="text-muted">{alt ? `[image: ${alt}]` : "[image]"}</span>,
      h1: ({ children }) => <SectionLabel>{children}</SectionLabel>,
      h2: ({ children }) => <SectionLabel>{children}</SectionLabel>,
      h3: ({ children }) => <h4 className="mb-1 mt-3 text-sm font-semibold first:mt-0">{children}</h4>,
      h4: ({ children }) => <h5 className="mb-1 mt-3 text-sm font-semibold first:mt-0">{children}</h5>,
      h5: ({ children }) => <h6 className="mb-1 mt-3 text-sm font-medium first:mt-0">{children}</h6>,
      h6: ({ children }) => <h6 className="mb-1 mt-3 text-sm font-medium first:mt-0">{children}</h6>,
      p: ({ children }) => <p className="my-2 first:mt-0 last:mb-0">{children}</p>,
      ul: ({ children, className: cls }) => (
        <ul className={`my-2 space-y-1 pl-5 ${cls?.includes("contains-task-list") ? "list-none pl-1" : "list-disc"} marker:text-muted`}>{children}</ul>
      ),
      ol: ({ children, start }) => (
        <ol start={start} className="my-2 list-decimal space-y-1 pl-5 marker:text-muted">
          {children}
        </ol>
      ),
      li: ({ children }) => <li className="pl-0.5 [&>ul]:my-1 [&>ol]:my-1">{children}</li>,
      blockquote: ({ children }) => <blockquote className="my-2 border-l-2 border-border pl-3 text-muted">{children}</blockquote>,
      hr: () => <hr className="my-3 border-border" />,
      pre: ({ children }) => (
        <pre className="my-2 overflow-x-auto rounded-lg border border-border bg-surface-2 px-3 py-2 font-mono text-[12.5px] leading-5 [&>code]:bg-transparent [&>code]:p-0">
          {children}
        </pre>
      ),
      code: ({ children, className: cls }) => (
        <code className={`rounded bg-surface-2 px-1 py-px font-mono text-[0.9em] ${cls ?? ""}`}>{children}</code>
      ),
      table: ({ children }) => (
        <div className="my-2 overflow-x-auto">
          <table className="w-full border-collapse text-left text-[13px]">{children}</table>
        </div>
      ),
      th: ({ children, style }) => (
        <th style={style} className="border-b border-border px-2 py-1 font-semibold">
          {children}
        </th>
      ),
      td: ({ children, style }) => (
        <td style={style} className="border-b border-border px-2 py-1 align-top">
          {children}
        </td>
      ),
      input: ({ checked, type }) =>
        type === "checkbox" ? (
          <input type="checkbox" checked={!!checked} readOnly disabled className="mr-1.5 align-middle accent-[var(--success)]" />
        ) : null,
    }),
    [citations, onCitation],
  );

  return (
    <div className={`min-w-0 text-sm leading-6 text-fg [overflow-wrap:anywhere] ${className}`}>
      <Markdown remarkPlugins={remarkPlugins} components={components} urlTransform={urlTransform}>
        {source}
      </Markdown>
    </div>
  );
});

function SectionLabel({ children }: { children: ReactNode }) {
  return <h3 className="mb-1.5 mt-4 text-xs font-semibold uppercase tracking-wide text-muted first:mt-0">{children}</h3>;
}

export function CitationButton({ citation, onCitation }: { citation: Citation; onCitation: (c: Citation) => void }) {
  // The accessible name starts with the visible text (WCAG 2.5.3, label in name), then says what it opens.
  const description = `${citationLabel(citation)}: ${citationDescription(citation)}`;
  return (
    <button
      type="button"
      data-citation-kind={citation.kind}
      title={description}
      aria-label={description}
      onClick={() => onCitation(citation)}
      className="mx-0.5 inline-flex max-w-full items-center gap-1 rounded-md border border-border bg-surface-2 px-1.5 align-baseline font-mono text-[11.5px] leading-[1.6] text-fg hover:border-ring/60 hover:bg-surface"
    >
      {citation.kind === "file" ? (
        <svg width="11" height="11" viewBox="0 0 16 16" aria-hidden className="shrink-0 text-muted" fill="none" stroke="currentColor" strokeWidth="1.6">
          <path d="M4 1.75h5l3.25 3.25v9.25H4z M9 1.75V5h3.25" strokeLinejoin="round" />
        </svg>
      ) : (
        <svg width="11" height="11" viewBox="0 0 16 16" aria-hidden className="shrink-0 text-muted" fill="none" stroke="currentColor" strokeWidth="1.6">
          <path d="M2.5 4.5 6 8l-3.5 3.5M8 12h5.5" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      )}
      <span className="truncate">{citationLabel(citation)}</span>
    </button>
  );
}
