import "server-only";
import { z, type ZodType } from "zod";
import { API_SCOPES, SCOPE_DESCRIPTIONS } from "@/lib/auth/scopes";
import { operationList, type Operation } from "./operations";
import { errorBody } from "./schemas";

type JsonSchema = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document of the task API, generated from the zod schemas the route handlers parse with
 * (lib/api/operations.ts). Schemas that carry an id (`.meta({ id })`) become components.
 */
export function openApiDocument({ serverUrl, version }: { serverUrl: string; version: string }) {
  const components: Record<string, JsonSchema> = {};

  function jsonSchema(schema: ZodType): JsonSchema {
    const out = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      // What a client sends and receives as JSON: defaults are optional, coerced values are shown as their type.
      io: "input",
      unrepresentable: "any",
      override: (ctx) => {
        // The date-time regex zod checks with says nothing `format` does not.
        if (ctx.jsonSchema.format === "date-time") delete ctx.jsonSchema.pattern;
      },
    }) as JsonSchema;
    delete out.$schema;
    const defs = (out.$defs ?? {}) as Record<string, JsonSchema>;
    delete out.$defs;
    for (const [id, def] of Object.entries(defs)) components[id] = relink(def) as JsonSchema;
    return relink(out) as JsonSchema;
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operationList) {
    (paths[op.path] ??= {})[op.method.toLowerCase()] = operationObject(op, jsonSchema);
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Patchbay API",
      version,
      description:
        "The task API of Patchbay. Authenticate with a personal access token (Settings → API tokens) as " +
        "`Authorization: Bearer pbt_…`; each operation names the scope it needs. Every token has a rate limit " +
        "(a token bucket): past it the API answers 429 with `Retry-After` (seconds); `X-RateLimit-Limit` and " +
        "`X-RateLimit-Remaining` come with every token answer. Someone else's task, or one that does not exist, is a 404.",
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerToken: [] }],
    tags: [{ name: "tasks" }, { name: "tokens" }],
    paths,
    components: {
      securitySchemes: {
        bearerToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "pbt_…",
          description: `A personal access token. Scopes: ${API_SCOPES.map((s) => `\`${s}\` (${SCOPE_DESCRIPTIONS[s]})`).join(", ")}`,
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "next-auth.session-token",
          description: "The app's own pages. Requests with the cookie must come from Patchbay's origin (a cross-site POST is refused).",
        },
      },
      schemas: components,
    },
  };
}

/** `#/$defs/X` (where zod puts shared schemas) → `#/components/schemas/X`. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === "$ref" && typeof v === "string" ? [k, v.replace(/^#\/\$defs\//, "#/components/schemas/")] : [k, relink(v)],
    ),
  );
}

function parametersOf(schema: ZodType | undefined, where: "path" | "query", jsonSchema: (s: ZodType) => JsonSchema) {
  if (!schema) return [];
  const obj = jsonSchema(schema);
  const props = (obj.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((obj.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const COMMON_ERRORS: Record<number, string> = {
  400: "The request is not valid; the message names the field.",
  401: "No valid token (or session): unknown, revoked or expired token. See `WWW-Authenticate`.",
  403: "The token lacks the scope this operation needs (`insufficient_scope`, the message names it).",
  404: "No such task or attempt — or it is someone else's.",
  429: "The token's rate limit is spent; `Retry-After` says how many seconds to wait.",
};

function operationObject(op: Operation, jsonSchema: (s: ZodType) => JsonSchema) {
  const errorRef = jsonSchema(errorBody);
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    const type = spec.contentType ?? "application/json";
    responses[status] = {
      description: spec.description,
      ...(spec.schema ? { content: { [type]: { schema: jsonSchema(spec.schema) } } } : {}),
    };
  }
  const errors = [401, 429];
  if (op.params || op.query || op.body) errors.push(400);
  if (op.scope) errors.push(403);
  if (op.path.includes("{id}")) errors.push(404);
  for (const status of errors.sort((a, b) => a - b)) {
    responses[String(status)] ??= {
      description: COMMON_ERRORS[status],
      content: { "application/json": { schema: errorRef } },
      ...(status === 429 ? { headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } } } : {}),
    };
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.path.startsWith("/api/tasks") ? "tasks" : "tokens"],
    "x-required-scope": op.scope,
    security: [{ bearerToken: op.scope ? [op.scope] : [] }, { sessionCookie: [] }],
    parameters: [
      ...parametersOf(op.params, "path", jsonSchema),
      ...parametersOf(op.query, "query", jsonSchema),
      ...(op.headers ?? []).map((h) => ({ name: h.name, in: "header", required: false, description: h.description, schema: jsonSchema(h.schema) })),
    ],
    ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.body) } } } } : {}),
    responses,
  };
}
