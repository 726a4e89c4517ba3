import "server-only";
import { ZodError, type ZodType } from "zod";
import { AppError, toErrorBody } from "@/lib/errors";

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

export function errorResponse(err: unknown): Response {
  if (err instanceof AppError) return Response.json(toErrorBody(err), { status: err.status });
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return Response.json(toErrorBody(new AppError("bad_request", `${where}${issue?.message ?? "invalid input"}`, 400)), {
      status: 400,
    });
  }
  // Never show a stack trace or a raw driver message to a person.
  console.error("internal error:", err);
  return Response.json(toErrorBody(new AppError("internal", "Something went wrong on our side. Try again.", 500)), {
    status: 500,
  });
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

export async function parseJson<T>(req: Request, schema: ZodType<T>): Promise<T> {
  const text = await readCapped(req, MAX_JSON_BYTES);
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new AppError("bad_json", "The request body is not valid JSON.", 400);
  }
  return schema.parse(data);
}
