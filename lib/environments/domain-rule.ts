import { invalidTextReason } from "@/lib/text";

/**
 * The allowlist's host-name rule, shared by the API's schema and the settings form. Plain functions, no zod
 * objects: building one probes `new Function`, which the pages' CSP reports as a violation.
 */
export const MAX_ALLOWED_DOMAINS = 200;
export const DOMAIN_PATTERN = /^(\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
export const NOT_A_HOST = "is not a host name (use example.com or *.example.com)";

/** example.com or *.example.com, in lower case, without a trailing dot. */
export function normalizeDomain(raw: string): string {
  return raw.trim().toLowerCase().replace(/\.$/, "");
}

/** The domain as stored, or what is wrong with it (the schema's messages). */
export function checkDomain(raw: string): { ok: true; value: string } | { ok: false; message: string } {
  const bad = invalidTextReason(raw);
  if (bad) return { ok: false, message: bad };
  const value = normalizeDomain(raw);
  if (!value) return { ok: false, message: "is empty" };
  if (value.length > 253) return { ok: false, message: "is too long" };
  if (!DOMAIN_PATTERN.test(value)) return { ok: false, message: NOT_A_HOST };
  return { ok: true, value };
}
