import "server-only";

/**
 * Server logs never carry a query's parameters, a database row or a value echoed by the database: drizzle's
 * DrizzleQueryError puts every parameter in its message ("params: …"), the driver's error carries them as `params`,
 * its `detail` repeats the failing row ("Failing row contains (…)", "Key (email)=(…) already exists") and some
 * messages quote the value ('invalid input syntax for type uuid: "…"'). Parameters include prompts, environment
 * variables and the sealed secrets column, so every error a server path logs goes through here.
 */

type ErrorLike = Error & {
  code?: unknown;
  query?: unknown;
  severity?: unknown;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
  cause?: unknown;
};

const MAX_CAUSES = 5;
const MAX_MESSAGE = 2000;

/** The SQL statement of a drizzle "Failed query: <sql>\nparams: <values>" message, without the values. */
function withoutParams(message: string): string {
  const failed = message.indexOf("Failed query:");
  if (failed >= 0) {
    const rest = message.slice(failed + "Failed query:".length);
    // The first "params:" ends the statement (which the server wrote); later ones may be inside a value.
    const params = rest.indexOf("\nparams:");
    return `${message.slice(0, failed)}Failed query: ${(params >= 0 ? rest.slice(0, params) : rest).trim()}`;
  }
  const params = message.search(/(^|\n)\s*params:/);
  return params >= 0 ? message.slice(0, params) : message;
}

const isDatabaseError = (err: ErrorLike) =>
  typeof err.code === "string" && /^[0-9A-Z]{5}$/.test(err.code) && typeof err.severity === "string";

/** A database message with any quoted value at its end (the database echoing an input) replaced. */
const withoutQuotedValue = (message: string) => message.replace(/: "(?:[^"]|"")*"\s*$/, ': "…"');

function describeOne(err: unknown): string {
  if (!(err instanceof Error) && (typeof err !== "object" || err === null)) return `${typeof err}: ${String(err).slice(0, 200)}`;
  const e = err as ErrorLike;
  const name = isDatabaseError(e) ? "DatabaseError" : e.name && e.name !== "Error" ? e.name : (e.constructor?.name ?? "Error");
  const code = typeof e.code === "string" || typeof e.code === "number" ? ` [${e.code}]` : "";
  let message = typeof e.message === "string" ? e.message : "";
  if (typeof e.query === "string" && message.startsWith("Failed query:")) message = `Failed query: ${e.query}`;
  message = withoutParams(message);
  if (isDatabaseError(e)) {
    message = withoutQuotedValue(message);
    const where = (["table", "column", "constraint"] as const)
      .filter((k) => typeof e[k] === "string" && e[k])
      .map((k) => `${k} ${e[k] as string}`);
    if (where.length) message += ` (${where.join(", ")})`;
  }
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  return `${name}${code}: ${message}`;
}

/** Class, code and message of an error and its causes, with no parameter, row or echoed value. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth <= MAX_CAUSES; depth++) {
    parts.push(describeOne(cur));
    cur = (cur as ErrorLike).cause;
  }
  return parts.join("\n  caused by ");
}

/** Where the error was thrown (stack frames only: the stack's first line repeats the raw message). */
function frames(err: unknown): string {
  const stack = err instanceof Error && typeof err.stack === "string" ? err.stack : "";
  return stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 12)
    .join("\n");
}

/** Logs an unexpected error for the operator, without anything a query or a row carried. */
export function logError(context: string, err: unknown): void {
  const where = frames(err);
  console.error(`${context}: ${describeError(err)}${where ? `\n${where}` : ""}`);
}
