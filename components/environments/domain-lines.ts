import { checkDomain, MAX_ALLOWED_DOMAINS } from "@/lib/environments/domain-rule";

export type DomainLineError = { line: number; text: string; message: string };

/**
 * The allowlist textarea: one host name per line, blank lines ignored, checked with the server's own rule so a
 * mistake is named by its line before anything is sent. Domains come back normalized (lower case) and once each.
 */
export function parseDomainLines(input: string): { domains: string[]; errors: DomainLineError[] } {
  const domains: string[] = [];
  const errors: DomainLineError[] = [];
  input.split("\n").forEach((raw, i) => {
    const text = raw.trim();
    if (!text) return;
    const checked = checkDomain(text);
    if (checked.ok) {
      if (!domains.includes(checked.value)) domains.push(checked.value);
    } else {
      errors.push({ line: i + 1, text, message: checked.message });
    }
  });
  if (domains.length > MAX_ALLOWED_DOMAINS) {
    errors.push({ line: 0, text: "", message: `At most ${MAX_ALLOWED_DOMAINS} domains (there are ${domains.length}).` });
  }
  return { domains, errors };
}

/** "Line 3: “exa mple.com” is not a host name (use example.com or *.example.com)". */
export function describeDomainError(e: DomainLineError): string {
  if (e.line === 0) return e.message;
  const shown = e.text.length > 60 ? `${e.text.slice(0, 57)}…` : e.text;
  return `Line ${e.line}: “${shown}” ${e.message}`;
}

export function formatDomainLines(domains: string[]): string {
  return domains.join("\n");
}
