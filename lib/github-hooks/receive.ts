import "server-only";
import { getDbHandle } from "@/db";
import { insertDelivery } from "@/db/queries/github-hooks";
import { getEnv } from "@/lib/env";
import { parseCommand } from "./commands";
import { configuredHandles } from "./config";
import { issueCommentEvent, pullRequestEvent } from "./payloads";
import { verifySignature } from "./signature";
import { wakeGitHubHooks } from "./worker";

/**
 * The App's webhook endpoint, minus HTTP: checks the signature, drops what Patchbay does not act on, records the
 * delivery (a replay — the same delivery id, or the same comment or review request under another id — is ignored)
 * and wakes the worker. It answers within a database write: the GitHub calls and the task happen afterwards.
 */

export type WebhookAnswer = { status: number; body: Record<string, unknown> };

/** GitHub redelivers for three days; anything older is not a person asking now. */
const MAX_AGE_MS = 3 * 24 * 3600 * 1000;

export type Classified = { act: true; dedupeKey: string; action: string | null } | { act: false; reason: string };

/** Whether a delivery asks Patchbay for something, and what it is about (the key that makes a replay a replay). */
export function classifyDelivery(event: string, payload: unknown, opts: { handles: string[]; appBotLogin: string | null; now?: number }): Classified {
  const now = opts.now ?? Date.now();
  const stale = (at: string | undefined) => at !== undefined && Number.isFinite(Date.parse(at)) && now - Date.parse(at) > MAX_AGE_MS;
  if (event === "issue_comment") {
    const p = issueCommentEvent.safeParse(payload);
    if (!p.success) return { act: false, reason: "unreadable payload" };
    const e = p.data;
    if (e.action !== "created") return { act: false, reason: `comment ${e.action}` };
    // The App's own comments (and other bots') never start work: no loops, no bot-to-bot chatter.
    if (e.comment.user.type === "Bot" || e.sender.type === "Bot") return { act: false, reason: "a bot's comment" };
    if (!parseCommand(e.comment.body, opts.handles)) return { act: false, reason: "no command" };
    if (stale(e.comment.created_at)) return { act: false, reason: "stale" };
    return { act: true, dedupeKey: `issue_comment:${e.repository.id}:${e.comment.id}`, action: e.action };
  }
  if (event === "pull_request") {
    const p = pullRequestEvent.safeParse(payload);
    if (!p.success) return { act: false, reason: "unreadable payload" };
    const e = p.data;
    if (e.action !== "review_requested" || !e.requested_reviewer) return { act: false, reason: `pull request ${e.action}` };
    const reviewer = `@${e.requested_reviewer.login}`.toLowerCase();
    const addressed = opts.handles.includes(reviewer) || (opts.appBotLogin !== null && e.requested_reviewer.login.toLowerCase() === opts.appBotLogin);
    if (!addressed) return { act: false, reason: "review requested from someone else" };
    if (e.sender.type === "Bot") return { act: false, reason: "requested by a bot" };
    if (stale(e.pull_request.updated_at)) return { act: false, reason: "stale" };
    return {
      act: true,
      // No id of its own: the same request is the same reviewer on the same head at the same time.
      dedupeKey: `review_requested:${e.repository.id}:${e.number}:${e.requested_reviewer.id}:${e.pull_request.head.sha}:${e.pull_request.updated_at ?? ""}`,
      action: e.action,
    };
  }
  return { act: false, reason: `event ${event}` };
}

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;

export async function receiveWebhook({ headers, body }: { headers: Headers; body: Uint8Array }): Promise<WebhookAnswer> {
  const env = getEnv();
  const secret = env.GITHUB_WEBHOOK_SECRET;
  if (!secret) {
    return { status: 503, body: { error: { code: "webhook_not_configured", message: "This server has no GITHUB_WEBHOOK_SECRET: it accepts no webhook deliveries." } } };
  }
  if (!verifySignature({ secret, body, signature: headers.get("x-hub-signature-256") })) {
    return { status: 401, body: { error: { code: "bad_signature", message: "X-Hub-Signature-256 does not match this delivery's body." } } };
  }
  const event = headers.get("x-github-event") ?? "";
  const id = headers.get("x-github-delivery") ?? "";
  if (!event || !DELIVERY_ID.test(id)) {
    return { status: 400, body: { error: { code: "bad_delivery", message: "X-GitHub-Event and X-GitHub-Delivery are required." } } };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    return { status: 400, body: { error: { code: "bad_delivery", message: "The body is not JSON (set the webhook's content type to application/json)." } } };
  }
  if (event === "ping") return { status: 200, body: { ok: true, pong: true } };
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return { status: 400, body: { error: { code: "bad_delivery", message: "The body is not a JSON object." } } };
  }
  const classified = classifyDelivery(event, payload, configuredHandles(env));
  if (!classified.act) return { status: 200, body: { ok: true, ignored: classified.reason } };

  const handle = await getDbHandle();
  const fresh = await insertDelivery(handle.db, {
    id,
    dedupeKey: classified.dedupeKey,
    event,
    action: classified.action,
    payload: payload as Record<string, unknown>,
  });
  if (!fresh) return { status: 200, body: { ok: true, ignored: "duplicate" } };
  await wakeGitHubHooks(handle);
  return { status: 202, body: { ok: true, queued: true } };
}
