import { CliError, EXIT, exitCodeForStatus } from "./errors.mjs";

export const USER_AGENT = "patchbay-cli/0.1";

/** The task API, with the token as a Bearer header, and the API's errors turned into CliErrors. */
export class Api {
  /** @param {{ url: string, token: string, fetchImpl?: typeof fetch }} opts */
  constructor({ url, token, fetchImpl = globalThis.fetch }) {
    this.url = url;
    this.token = token;
    this.fetch = fetchImpl;
  }

  /**
   * @param {string} method
   * @param {string} path  e.g. /api/tasks
   * @param {{ body?: unknown, query?: Record<string, string | number | undefined>, headers?: Record<string, string>, signal?: AbortSignal }} [opts]
   * @returns {Promise<Response>} an ok response (anything else throws)
   */
  async request(method, path, opts = {}) {
    const url = new URL(this.url + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    const headers = { authorization: `Bearer ${this.token}`, "user-agent": USER_AGENT, accept: "application/json", ...opts.headers };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    let res;
    try {
      res = await this.fetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
        redirect: "manual",
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const cause = err?.cause?.code || err?.cause?.message || err?.message || String(err);
      throw new CliError(`Cannot reach Patchbay at ${this.url} (${cause}).`, EXIT.UNAVAILABLE, { code: "unreachable" });
    }
    if (res.ok) return res;
    throw await apiError(res, this.url);
  }

  async json(method, path, opts) {
    const res = await this.request(method, path, opts);
    if (res.status === 204) return null;
    return res.json();
  }

  async text(method, path, opts) {
    const res = await this.request(method, path, { ...opts, headers: { accept: "*/*", ...opts?.headers } });
    return res.text();
  }
}

/** @param {Response} res */
export async function apiError(res, baseUrl) {
  const retryAfter = res.headers.get("retry-after");
  const info = { status: res.status, retryAfter: retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null };
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy's page, or not Patchbay at all
  }
  const error = body && typeof body === "object" ? body.error : null;
  if (error && typeof error.message === "string") {
    return new CliError(error.message, exitCodeForStatus(res.status), { ...info, code: String(error.code ?? "error") });
  }
  if (res.status >= 300 && res.status < 400) {
    return new CliError(
      `${baseUrl} answered with a redirect (${res.status}) to ${res.headers.get("location") ?? "elsewhere"}: is this the right URL for Patchbay?`,
      EXIT.UNAVAILABLE,
      { ...info, code: "redirect" },
    );
  }
  return new CliError(`Patchbay at ${baseUrl} answered ${res.status} ${res.statusText}.`, exitCodeForStatus(res.status), { ...info, code: `http_${res.status}` });
}
