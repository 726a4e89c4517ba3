import "server-only";
import type { z, ZodType } from "zod";
import { requireApiCaller, type ApiCaller } from "@/lib/auth/session";
import { errorResponse, parseJson, parseQuery } from "@/lib/http";
import type { Operation } from "./operations";

type Parsed<S> = S extends ZodType ? z.output<S> : undefined;

export type ApiContext<O extends Operation> = {
  req: Request;
  user: ApiCaller;
  params: Parsed<O["params"]>;
  query: Parsed<O["query"]>;
  body: Parsed<O["body"]>;
};

type RouteCtx = { params: Promise<Record<string, string | string[]>> };

export type ApiHandler = ((req: Request, ctx: RouteCtx) => Promise<Response>) & { operation: Operation };

/**
 * A task API route handler for `operation`: authenticates the caller (session cookie, or a Bearer token with the
 * operation's scope and within its rate limit), parses params, query and body with the operation's own schemas,
 * and turns errors into the app's JSON errors. Answers to token requests carry the rate-limit headers and never a
 * cookie.
 */
export function apiRoute<O extends Operation>(operation: O, fn: (c: ApiContext<O>) => Promise<Response>): ApiHandler {
  const handler = async (req: Request, ctx: RouteCtx): Promise<Response> => {
    let user: ApiCaller | undefined;
    let res: Response;
    try {
      user = await requireApiCaller({ req, scope: operation.scope });
      const params = operation.params ? operation.params.parse(await ctx.params) : undefined;
      const query = operation.query ? parseQuery(req, operation.query) : undefined;
      const body = operation.body ? await parseJson(req, operation.body) : undefined;
      res = await fn({ req, user, params, query, body } as ApiContext<O>);
    } catch (err) {
      res = errorResponse(err);
    }
    if (user?.via.kind === "token") {
      res.headers.delete("set-cookie");
      res.headers.set("X-RateLimit-Limit", String(user.via.rate.limit));
      res.headers.set("X-RateLimit-Remaining", String(user.via.rate.remaining));
    }
    if (!res.headers.has("cache-control")) res.headers.set("Cache-Control", "no-store");
    return res;
  };
  return Object.assign(handler, { operation });
}
