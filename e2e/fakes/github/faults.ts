import { STATUS_CODES, type ServerResponse } from "node:http";
import { DOCS_URL, HttpError, type Body } from "./http-util";

/**
 * An injected failure: requests whose method and pathname match get `status` (and `body`,
 * `headers`) instead of their normal answer, `times` times (-1: until cleared).
 */
export type Fault = {
  id: number;
  method: string | null;
  path: string;
  pathRegex: RegExp;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  remaining: number;
  hits: number;
};

let nextFaultId = 1;

export function parseFault(body: Body): Fault {
  const { method, path, status, headers, times } = body;
  if (typeof path !== "string") throw new HttpError(400, "fault.path must be a regex string");
  let pathRegex: RegExp;
  try {
    pathRegex = new RegExp(path);
  } catch {
    throw new HttpError(400, "fault.path is not a valid regex");
  }
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new HttpError(400, "fault.status must be an HTTP status code");
  }
  if (method !== undefined && typeof method !== "string") throw new HttpError(400, "fault.method must be a string");
  if (times !== undefined && (typeof times !== "number" || !Number.isInteger(times) || times === 0 || times < -1)) {
    throw new HttpError(400, "fault.times must be a positive integer or -1");
  }
  const hdrs: Record<string, string> = {};
  if (headers !== undefined) {
    if (headers === null || typeof headers !== "object" || Array.isArray(headers)) throw new HttpError(400, "fault.headers must be an object");
    for (const [k, v] of Object.entries(headers)) hdrs[k.toLowerCase()] = String(v);
  }
  if (status === 429 && Object.keys(hdrs).length === 0) {
    hdrs["x-ratelimit-limit"] = "5000";
    hdrs["x-ratelimit-remaining"] = "0";
    hdrs["x-ratelimit-reset"] = String(Math.floor(Date.now() / 1000) + 60);
    hdrs["retry-after"] = "1";
  }
  return {
    id: nextFaultId++,
    method: method ? method.toUpperCase() : null,
    path,
    pathRegex,
    status,
    body: body.body,
    headers: hdrs,
    remaining: typeof times === "number" ? times : 1,
    hits: 0,
  };
}

/** Finds the first fault matching the request, uses one of its shots, and drops it when spent. */
export function takeFault(faults: Fault[], method: string, pathname: string): Fault | null {
  const i = faults.findIndex((f) => (f.method === null || f.method === method.toUpperCase()) && f.pathRegex.test(pathname));
  if (i < 0) return null;
  const fault = faults[i];
  fault.hits++;
  if (fault.remaining > 0 && --fault.remaining === 0) faults.splice(i, 1);
  return fault;
}

export function sendFault(res: ServerResponse, fault: Fault): void {
  let payload: string;
  let type: string;
  if (typeof fault.body === "string") {
    payload = fault.body;
    type = "text/plain; charset=utf-8";
  } else {
    const message = fault.status === 429 ? "API rate limit exceeded" : (STATUS_CODES[fault.status] ?? "Error");
    payload = JSON.stringify(fault.body ?? { message, documentation_url: DOCS_URL });
    type = "application/json; charset=utf-8";
  }
  res.writeHead(fault.status, { "content-type": type, "content-length": Buffer.byteLength(payload), ...fault.headers });
  res.end(payload);
}

/** The JSON form of a fault for the control API (the compiled regex left out). */
export function describeFault(f: Fault) {
  return { id: f.id, method: f.method, path: f.path, status: f.status, body: f.body, headers: f.headers, remaining: f.remaining, hits: f.hits };
}
