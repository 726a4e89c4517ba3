import { receiveWebhook } from "@/lib/github-hooks/receive";
import { logError } from "@/lib/log";

/** GitHub's maximum payload is 25 MB. */
const MAX_BODY = 25 * 1024 * 1024;

/**
 * The GitHub App's webhook. Authenticated by the delivery's signature alone (no session, no cookie is read), so
 * it is outside the same-origin rule (lib/web/same-origin.ts). Answers 202 once the delivery is recorded; the work
 * happens after (lib/github-hooks/worker.ts).
 */
export async function POST(req: Request): Promise<Response> {
  const headers = { "Cache-Control": "no-store" };
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY) {
    return Response.json({ error: { code: "payload_too_large", message: "The delivery is larger than GitHub sends." } }, { status: 413, headers });
  }
  try {
    const body = new Uint8Array(await req.arrayBuffer());
    if (body.byteLength > MAX_BODY) {
      return Response.json({ error: { code: "payload_too_large", message: "The delivery is larger than GitHub sends." } }, { status: 413, headers });
    }
    const answer = await receiveWebhook({ headers: req.headers, body });
    return Response.json(answer.body, { status: answer.status, headers });
  } catch (err) {
    logError("GitHub webhook", err);
    return Response.json({ error: { code: "internal", message: "The delivery could not be recorded; redeliver it." } }, { status: 500, headers });
  }
}
