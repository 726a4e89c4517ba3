import { openApiDocument } from "@/lib/api/openapi";
import { getEnv } from "@/lib/env";
import pkg from "@/package.json";

export const dynamic = "force-dynamic";

/** The task API's OpenAPI 3.1 document, generated from the schemas the handlers validate with. Public. */
export function GET() {
  const doc = openApiDocument({ serverUrl: getEnv().NEXTAUTH_URL.replace(/\/+$/, ""), version: pkg.version });
  return Response.json(doc, { headers: { "Cache-Control": "public, max-age=300" } });
}
