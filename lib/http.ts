import "server-only";
import { ZodError, type ZodType } from "zod";
import { AppError, toErrorBody } from "@/lib/errors";
import { logError } from "@/lib/log";
import { publicMessage } from "@/lib/public-message";
import { printable } from "@/lib/text";

/** Wraps a route handler: AppErrors become their JSON error, anything else is logged and shown as "internal". */
export function jsonRoute<Ctx>(fn: (req: Request, ctx: Ctx) => Promise<Response>) {
  return async (req: Request, ctx: Ctx): Promise<Response> => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

type ZodIssueLike = { path: PropertyKey[]; message: string; code?: string; issues?: ZodIssueLike[] };

/** "field.sub: what is wrong", with the innermost reason of a bad record key ("envVars.1BAD: names are …"). */
function describeIssue(issue: ZodIssueLike | undefined): string {
  if (!issue) return "invalid input";
  const where = issue.path.length ? `${issue.path.map((p) => printable(String(p))).join(".")}: ` : "";
  const inner = issue.code === "invalid_key" ? issue.issues?.[0]?.message : undefined;
  return `${where}${inner ?? issue.message}`;
}

/**
 * PostgreSQL refusing a character (NUL, invalid UTF-8) or a value's syntax: the input was bad, not the server.
 * The schemas refuse such text first, with the field named; this is the net under them.
 */
const INPUT_SQLSTATES = new Set(["22021", "22P05", "22P02"]);

function databaseInputError(err: unknown): boolean {
  for (let cur = err, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && INPUT_SQLSTATES.has(code)) return true;
  }
  return false;
}

const json = (err: AppError) =>
  Response.json(toErrorBody(new AppError(err.code, publicMessage(err.message), err.status, err.action)), {
    status: err.status,
    headers: err.headers,
  });

export function errorResponse(err: unknown): Response {
  if (err instanceof AppError) return json(err);
  if (err instanceof ZodError) return json(new AppError("bad_request", describeIssue(err.issues[0]), 400));
  if (databaseInputError(err)) {
    logError("refused input", err);
    return json(new AppError("bad_request", "The request contains a value that cannot be stored (for example text with a NUL byte).", 400));
  }
  // Never show a stack trace or a raw driver message to a person.
  logError("internal error", err);
  return json(new AppError("internal", "Something went wrong on our side. Try again.", 500));
}

export function parseQuery<T>(req: Request, schema: ZodType<T>): T {
  return schema.parse(Object.fromEntries(new URL(req.url).searchParams));
}

const MAX_JSON_BYTES = 256 * 1024;

const tooLarge = () => new AppError("too_large", "The request body is too large.", 413);

/** Reads the body, refusing (without buffering it) anything over the cap. */
async function readCapped(req: Request, cap: number): Promise<string> {
  if (Number(req.headers.get("content-length") ?? 0) > cap) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function parseJson<T>(req: Request, schema: ZodType<T>, opts: { maxBytes?: number } = {}): Promise<T> {
  const text = await readCapped(req, opts.maxBytes ?? MAX_JSON_BYTES);
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new AppError("bad_json", "The request body is not valid JSON.", 400);
  }
  return schema.parse(data);
}
