import type { ClientError } from "@/components/ui/error-note";

const FIELDS: Record<string, string> = {
  setupScript: "setup script",
  maintenanceScript: "maintenance script",
  envVars: "environment variable",
  secrets: "secret",
  removeSecrets: "secret",
  allowedDomains: "allowed domain",
  allowedMethods: "allowed methods",
  internetPolicy: "internet access",
  setupInternetPolicy: "setup's internet access",
  allowlistPreset: "allowlist preset",
  setupTimeoutSeconds: "setup time limit",
  engine: "engine",
};

/**
 * The server names a refused field the way its schema does ("secrets.1BAD: names are …"); a person reads a
 * sentence: "Nothing was saved: the secret “1BAD” is refused (names are …)."
 */
export function describeSaveError(error: ClientError): ClientError {
  if (error.code !== "bad_request") return error;
  const m = /^([A-Za-z]+)(?:\.([^:]+))?: (.+)$/.exec(error.message);
  if (!m) return { ...error, message: `Nothing was saved: ${lower(error.message)}.` };
  const [, field, key, reason] = m;
  const label = FIELDS[field] ?? field;
  const keyed = key && !/^\d+$/.test(key);
  const what = keyed ? `the ${label} “${key}”` : `the ${label}`;
  return { ...error, message: `Nothing was saved: ${what} was refused (${reason.replace(/\.$/, "")}).` };
}

const lower = (s: string) => (s ? s[0].toLowerCase() + s.slice(1) : s).replace(/\.$/, "");
