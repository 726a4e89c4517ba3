import type { ClientError } from "./error-note";

export class ApiError extends Error {
  constructor(
    readonly info: ClientError,
    readonly status: number,
  ) {
    super(info.message);
  }
}

/** fetch + JSON with the app's error shape turned into an ApiError. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { "Content-Type": "application/json", ...init?.headers } });
  } catch {
    throw new ApiError({ code: "network", message: "Patchbay's server could not be reached. Check your connection." }, 0);
  }
  const body = (await res.json().catch(() => null)) as { error?: ClientError } | null;
  if (!res.ok) {
    throw new ApiError(body?.error ?? { code: "http_" + res.status, message: `The server answered ${res.status}.` }, res.status);
  }
  return body as T;
}

export function asClientError(err: unknown): ClientError {
  return err instanceof ApiError ? err.info : { code: "unknown", message: "Something went wrong." };
}
