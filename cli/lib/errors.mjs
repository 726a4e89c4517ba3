/** Exit codes: each says what happened, so that scripts can branch on them. */
export const EXIT = {
  OK: 0,
  /** The task finished without success: failed, cancelled or timed out (when following it). */
  TASK_FAILED: 1,
  /** Bad arguments, or the command needs a git checkout and there is none. */
  USAGE: 2,
  /** Not logged in, or the token is unknown, revoked, expired or lacks a scope (401/403). */
  AUTH: 3,
  /** No such task or attempt (404) — or it is someone else's. */
  NOT_FOUND: 4,
  /** The diff does not apply to the checkout, or the server answered 409 (e.g. the task is still running). */
  CONFLICT: 5,
  /** The token's rate limit is spent (429); the message says when to retry. */
  RATE_LIMITED: 6,
  /** The server could not be reached, or failed (5xx). */
  UNAVAILABLE: 7,
  /** The server refused the request otherwise (400, 422…). */
  REFUSED: 8,
};

/** An error the CLI explains and exits on, with its code and (from the API) the server's error code. */
export class CliError extends Error {
  /**
   * @param {string} message
   * @param {number} exitCode
   * @param {{ code?: string, status?: number, retryAfter?: number | null }} [info]
   */
  constructor(message, exitCode, info = {}) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.code = info.code ?? "error";
    this.status = info.status;
    this.retryAfter = info.retryAfter ?? null;
  }
}

export const usage = (message) => new CliError(message, EXIT.USAGE, { code: "usage" });

/** The exit code for an HTTP status the API answered with. */
export function exitCodeForStatus(status) {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  if (status === 429) return EXIT.RATE_LIMITED;
  if (status >= 500) return EXIT.UNAVAILABLE;
  return EXIT.REFUSED;
}
