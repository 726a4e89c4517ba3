import { createHmac, randomUUID } from "node:crypto";
import type { Fake } from "./context";
import { accountJson, pullJson, repoJson } from "./render";
import type { Account, Issue, IssueComment, Pull, Repo } from "./state";

/**
 * The App's webhook, as GitHub delivers it: a JSON POST to the configured URL, signed with the App's webhook secret
 * (`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`), with a delivery GUID that a redelivery keeps.
 */

export type WebhookConfig = { url: string | null; secret: string; events: string[] };

export type Delivery = {
  /** X-GitHub-Delivery. */
  guid: string;
  event: string;
  action: string | null;
  /** The exact body sent (a redelivery sends it again). */
  body: string;
  redelivery: boolean;
  /** The answer: HTTP status (null: no answer), and its body's first characters. */
  status: number | null;
  response: string;
  deliveredAt: string;
};

const DELIVERY_TIMEOUT_MS = 10_000;

export class WebhookSender {
  config: WebhookConfig;
  deliveries: Delivery[] = [];

  constructor(secret: string, url: string | null = null) {
    this.config = { url, secret, events: ["issue_comment", "pull_request"] };
  }

  /** Signs and sends a delivery (unless no URL is set or the App is not subscribed to the event), recording it. */
  async send(
    event: string,
    payload: Record<string, unknown>,
    opts: { guid?: string; redelivery?: boolean; signature?: "valid" | "bad" | "none"; body?: string } = {},
  ): Promise<Delivery | null> {
    if (!this.config.url || (!this.config.events.includes(event) && event !== "ping")) return null;
    const body = opts.body ?? JSON.stringify(payload);
    const guid = opts.guid ?? randomUUID();
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": event,
      "x-github-delivery": guid,
      "x-github-hook-id": "424242",
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": "4242",
    };
    const signature = opts.signature ?? "valid";
    if (signature !== "none") {
      const secret = signature === "bad" ? `${this.config.secret}-wrong` : this.config.secret;
      headers["x-hub-signature-256"] = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
      headers["x-hub-signature"] = `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`;
    }
    const delivery: Delivery = {
      guid,
      event,
      action: typeof payload.action === "string" ? payload.action : null,
      body,
      redelivery: opts.redelivery === true,
      status: null,
      response: "",
      deliveredAt: new Date().toISOString(),
    };
    this.deliveries.push(delivery);
    try {
      const res = await fetch(this.config.url, { method: "POST", headers, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      delivery.status = res.status;
      delivery.response = (await res.text()).slice(0, 2000);
    } catch (err) {
      delivery.response = `no answer: ${(err as Error).message}`;
    }
    return delivery;
  }

  /** GitHub's "Redeliver": the same body and the same GUID. */
  redeliver(guid: string): Promise<Delivery | null> {
    const original = this.deliveries.find((d) => d.guid === guid);
    if (!original) return Promise.resolve(null);
    return this.send(original.event, JSON.parse(original.body) as Record<string, unknown>, { guid, redelivery: true, body: original.body });
  }
}

function installationOf(fake: Fake, repo: Repo) {
  return { id: repo.installationId, node_id: Buffer.from(`023:Installation${repo.installationId}`).toString("base64") };
}

export function issueJson(fake: Fake, repo: Repo, item: Issue | Pull) {
  const api = `${fake.apiUrl}/repos/${repo.fullName}`;
  const isPull = "headRef" in item;
  const html = `${fake.webUrl}/${repo.fullName}/${isPull ? "pull" : "issues"}/${item.number}`;
  return {
    url: `${api}/issues/${item.number}`,
    html_url: html,
    id: item.id,
    number: item.number,
    title: item.title,
    body: item.body,
    state: item.state,
    user: accountJson(fake, item.user),
    labels: [],
    comments: fake.state.comments.filter((c) => c.repoId === repo.id && c.number === item.number).length,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    author_association: item.user.type === "Bot" ? "NONE" : "MEMBER",
    ...(isPull
      ? { pull_request: { url: `${api}/pulls/${item.number}`, html_url: html, diff_url: `${html}.diff`, patch_url: `${html}.patch` } }
      : {}),
  };
}

export function commentJson(fake: Fake, repo: Repo, c: IssueComment) {
  const api = `${fake.apiUrl}/repos/${repo.fullName}`;
  const isPull = fake.state.pulls.some((p) => p.repoId === repo.id && p.number === c.number);
  return {
    id: c.id,
    node_id: Buffer.from(`012:IssueComment${c.id}`).toString("base64"),
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${fake.webUrl}/${repo.fullName}/${isPull ? "pull" : "issues"}/${c.number}#issuecomment-${c.id}`,
    issue_url: `${api}/issues/${c.number}`,
    body: c.body,
    user: accountJson(fake, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: c.user.type === "Bot" ? "NONE" : "MEMBER",
  };
}

/** The `issue_comment` event of a new comment. */
export function issueCommentEvent(fake: Fake, repo: Repo, comment: IssueComment) {
  const item =
    fake.state.pulls.find((p) => p.repoId === repo.id && p.number === comment.number) ??
    fake.state.issues.find((i) => i.repoId === repo.id && i.number === comment.number);
  if (!item) throw new Error(`no issue or pull #${comment.number}`);
  return {
    action: "created",
    issue: issueJson(fake, repo, item),
    comment: commentJson(fake, repo, comment),
    repository: repoJson(fake, repo),
    sender: accountJson(fake, comment.user),
    installation: installationOf(fake, repo),
  };
}

/** The `pull_request` event with action `review_requested`. */
export function reviewRequestedEvent(fake: Fake, repo: Repo, pull: Pull, reviewer: Account, sender: Account) {
  return {
    action: "review_requested",
    number: pull.number,
    pull_request: pullJson(fake, repo, pull),
    requested_reviewer: accountJson(fake, reviewer),
    repository: repoJson(fake, repo),
    sender: accountJson(fake, sender),
    installation: installationOf(fake, repo),
  };
}
