/**
 * The one error type of the app: a stable code, a message safe to show a person, an HTTP status,
 * and optionally a way out (a link that fixes the problem). Anything else is logged and shown as "internal".
 */
export type ErrorAction = { label: string; href: string };

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly action?: ErrorAction;
  /** Response headers that belong to this answer (Retry-After on a 429, WWW-Authenticate on a 401). */
  readonly headers?: Record<string, string>;

  constructor(code: string, message: string, status = 400, action?: ErrorAction, headers?: Record<string, string>) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.status = status;
    this.action = action;
    this.headers = headers;
  }
}

export type ErrorBody = { error: { code: string; message: string; action?: ErrorAction } };

export function toErrorBody(err: AppError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.action ? { action: err.action } : {}) } };
}

export const notFound = (what = "Not found") => new AppError("not_found", what, 404);
