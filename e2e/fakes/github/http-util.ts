import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export const DOCS_URL = "https://docs.github.com/rest";

/** Thrown by handlers; the server turns it into a GitHub-shaped JSON error. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = () => new HttpError(404, "Not Found", { documentation_url: DOCS_URL });
export const badCredentials = () => new HttpError(401, "Bad credentials", { documentation_url: DOCS_URL });
export const notAccessible = () =>
  new HttpError(403, "Resource not accessible by integration", { documentation_url: DOCS_URL });
export const validationFailed = (errors: Record<string, unknown>[]) =>
  new HttpError(422, "Validation Failed", { errors, documentation_url: DOCS_URL });

const MAX_BODY = 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "Payload too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export type Body = Record<string, unknown>;

/** Parses a JSON or form-encoded body into an object. Malformed input is a 400. */
export async function readParams(req: IncomingMessage): Promise<Body> {
  const buf = await readBody(req);
  if (buf.length === 0) return {};
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  const text = buf.toString("utf8");
  if (type.includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, "Problems parsing JSON", { documentation_url: DOCS_URL });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "Body should be a JSON object", { documentation_url: DOCS_URL });
  }
  return parsed as Body;
}

export function str(body: Body, key: string): string | undefined {
  const v = body[key];
  return typeof v === "string" ? v : undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = status === 204 ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "x-github-media-type": "github.v3; format=json",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
    ...headers,
  });
  res.end(payload);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(html) });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, "content-length": 0 });
  res.end();
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** The path's segments, percent-decoded; null when a segment does not decode. */
export function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
