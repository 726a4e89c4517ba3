/**
 * What a personal access token may do. Types and plain data only: shared by the schema, the server and the
 * settings page (which must not import zod).
 */
export const API_SCOPES = ["tasks:read", "tasks:write", "pr:write"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<ApiScope, string> = {
  "tasks:read": "List tasks and read their status, logs, diffs and files.",
  "tasks:write": "Create tasks, send follow-ups, stop, archive, choose an attempt and delete.",
  "pr:write": "Push a task's branch and open or update its pull request.",
};

export const isApiScope = (value: unknown): value is ApiScope => API_SCOPES.includes(value as ApiScope);

/** Every token starts with this, so that a leaked one is recognisable (and secret scanners can match it). */
export const TOKEN_PREFIX = "pbt_";

/** Expiry choices offered on the settings page, in days. */
export const TOKEN_EXPIRY_DAYS = [7, 30, 90, 365] as const;
