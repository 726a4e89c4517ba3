export { AgentMarkdown, CitationButton, type AgentMarkdownProps } from "./markdown";
export { parseCitations, parseCitation, citationLabel, citationDescription, safeHref, type CitationSegment } from "./citations";
export type { Citation } from "@/components/log/types";
