import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "@/lib/api/openapi";
import { operationList } from "@/lib/api/operations";
import type { ApiHandler } from "@/lib/api/route";
import * as openapiRoute from "@/app/api/openapi.json/route";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const root = path.resolve(import.meta.dirname, "../..");

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? routeFiles(full) : e.name === "route.ts" ? [full] : [];
  });
}

/** app/api/tasks/[id]/events/route.ts → /api/tasks/{id}/events */
const openApiPath = (file: string) =>
  "/" + path.relative(path.join(root, "app"), path.dirname(file)).split(path.sep).map((s) => s.replace(/^\[(\w+)\]$/, "{$1}")).join("/");

type Doc = ReturnType<typeof openApiDocument>;
const doc: Doc = openApiDocument({ serverUrl: "https://patchbay.example.com", version: "test" });
const token = (s: unknown) => JSON.stringify(s);

describe("the OpenAPI document cannot drift from the routes", () => {
  const files = [...routeFiles(path.join(root, "app/api/tasks")), path.join(root, "app/api/token/route.ts")];

  it("every route under app/api/tasks (and /api/token) is in the document, method by method, with its own operation", async () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    const seen = new Set<string>();
    for (const file of files) {
      const mod = (await import(file)) as Record<string, unknown>;
      const p = openApiPath(file);
      const exported = METHODS.filter((m) => typeof mod[m] === "function");
      expect(exported.length, p).toBeGreaterThan(0);
      for (const method of exported) {
        const handler = mod[method] as ApiHandler;
        // Built with apiRoute: authentication, scope and parsing all come from the operation the document shows.
        expect(handler.operation, `${method} ${p} is not an apiRoute`).toBeTruthy();
        expect({ method: handler.operation.method, path: handler.operation.path }).toEqual({ method, path: p });
        const documented = (doc.paths[p] as Record<string, { operationId: string; "x-required-scope": string | null }> | undefined)?.[method.toLowerCase()];
        expect(documented, `${method} ${p} missing from the document`).toBeTruthy();
        expect(documented!.operationId).toBe(handler.operation.operationId);
        expect(documented!["x-required-scope"]).toBe(handler.operation.scope);
        seen.add(`${method} ${p}`);
      }
    }
    // …and nothing in the document that no route serves.
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual([...seen].sort());
  });

  it("path parameters are the route's dynamic segments, all required", () => {
    for (const op of operationList) {
      const segments = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const params = ((doc.paths[op.path] as Record<string, { parameters: { name: string; in: string; required: boolean }[] }>)[op.method.toLowerCase()]
        .parameters ?? []).filter((p) => p.in === "path");
      expect(params.map((p) => p.name).sort(), op.operationId).toEqual(segments.sort());
      expect(params.every((p) => p.required)).toBe(true);
    }
  });

  it("is OpenAPI 3.1 with bearer auth, scopes per operation, request bodies from the zod schemas, and every $ref resolving", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearerToken).toMatchObject({ type: "http", scheme: "bearer" });
    const create = (doc.paths["/api/tasks"] as Record<string, Record<string, unknown>>).post as {
      security: unknown[];
      requestBody: { content: { "application/json": { schema: { properties: Record<string, { enum?: string[]; maximum?: number }>; required: string[] } } } };
      responses: Record<string, unknown>;
    };
    expect(create.security).toContainEqual({ bearerToken: ["tasks:write"] });
    const body = create.requestBody.content["application/json"].schema;
    expect(body.properties.mode.enum).toEqual(["code", "ask"]);
    expect(body.properties.attempts.maximum).toBe(4);
    expect(body.required.sort()).toEqual(["branch", "mode", "prompt", "repo"]);
    expect(Object.keys(create.responses).sort()).toEqual(["201", "400", "401", "403", "429"]);
    const refs = [...token(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split("/").pop()!], ref).toBeTruthy();
    }
  });

  it("is served at /api/openapi.json", async () => {
    const res = openapiRoute.GET();
    expect(res.status).toBe(200);
    const served = (await res.json()) as Doc;
    expect(served.openapi).toBe("3.1.0");
    expect(Object.keys(served.paths).sort()).toEqual(Object.keys(doc.paths).sort());
  });
});
