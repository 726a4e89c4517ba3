import { describe, expect, it } from "vitest";
import { mentionHandles } from "./commands";
import { classifyDelivery } from "./receive";

const opts = { handles: mentionHandles({ mention: "@patchbay", appSlug: "pb-app" }), appBotLogin: "pb-app[bot]", now: Date.parse("2026-01-10T00:00:00Z") };
const person = { login: "alice", id: 1001, type: "User" };
const bot = { login: "pb-app[bot]", id: 9, type: "Bot" };

function commentEvent(over: { action?: string; body?: string; user?: typeof person; createdAt?: string } = {}) {
  const user = over.user ?? person;
  return {
    action: over.action ?? "created",
    issue: { number: 3, title: "T", html_url: "h", pull_request: { url: "u" } },
    comment: { id: 77, body: over.body ?? "@patchbay review", html_url: "h#c", created_at: over.createdAt ?? "2026-01-09T23:59:00Z", user },
    repository: { id: 5, full_name: "acme/widgets", default_branch: "main" },
    sender: user,
  };
}

function requestEvent(reviewer: { login: string; id: number; type: string }, sender = person) {
  return {
    action: "review_requested",
    number: 3,
    pull_request: { number: 3, title: "T", html_url: "h", state: "open", updated_at: "2026-01-09T23:00:00Z", head: { ref: "f", sha: "abc" }, base: { ref: "main", sha: "def" } },
    requested_reviewer: reviewer,
    repository: { id: 5, full_name: "acme/widgets" },
    sender,
  };
}

describe("which deliveries Patchbay acts on", () => {
  it("a new comment with a command, keyed by the comment (a replay under another delivery id is the same)", () => {
    expect(classifyDelivery("issue_comment", commentEvent(), opts)).toEqual({ act: true, dedupeKey: "issue_comment:5:77", action: "created" });
  });

  it("not edits, deletions, comments without a command, bots' comments, or comments older than three days", () => {
    expect(classifyDelivery("issue_comment", commentEvent({ action: "edited" }), opts)).toMatchObject({ act: false, reason: "comment edited" });
    expect(classifyDelivery("issue_comment", commentEvent({ body: "nice" }), opts)).toMatchObject({ act: false, reason: "no command" });
    expect(classifyDelivery("issue_comment", commentEvent({ user: bot, body: "@patchbay fix x" }), opts)).toMatchObject({ act: false, reason: "a bot's comment" });
    expect(classifyDelivery("issue_comment", commentEvent({ createdAt: "2026-01-01T00:00:00Z" }), opts)).toMatchObject({ act: false, reason: "stale" });
    expect(classifyDelivery("issue_comment", { action: "created" }, opts)).toMatchObject({ act: false, reason: "unreadable payload" });
    expect(classifyDelivery("push", {}, opts)).toMatchObject({ act: false, reason: "event push" });
  });

  it("a review requested from the App's bot or the mention's account; not from someone else", () => {
    expect(classifyDelivery("pull_request", requestEvent(bot), opts)).toEqual({
      act: true,
      dedupeKey: "review_requested:5:3:9:abc:2026-01-09T23:00:00Z",
      action: "review_requested",
    });
    expect(classifyDelivery("pull_request", requestEvent({ login: "Patchbay", id: 4, type: "User" }), opts)).toMatchObject({ act: true });
    expect(classifyDelivery("pull_request", requestEvent({ login: "bob", id: 2, type: "User" }), opts)).toMatchObject({ act: false });
    expect(classifyDelivery("pull_request", { ...requestEvent(bot), action: "opened" }, opts)).toMatchObject({ act: false, reason: "pull request opened" });
  });
});
