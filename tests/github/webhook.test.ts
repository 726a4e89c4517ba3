import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { findTaskLink } from "@/db/queries/github-hooks";
import { oauthLogin } from "@/e2e/fakes/github/test-helpers";
import { findTask, listAttempts } from "@/db/queries/tasks";
import { githubDeliveries, githubTaskLinks, tasks, users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { getReviewSettings, saveReviewSettings } from "@/lib/github-hooks/settings";
import { startGitHubHooksWorker, type GitHubHooksWorker } from "@/lib/github-hooks/worker";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { linkGitHub } from "../api/helpers";
import { dbKinds, openTestDb } from "../helpers/db";
import { setProcessDb, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { fakeRepo } from "../pr/helpers";
import { conversation, gh, startWebhookServer } from "./helpers";

/**
 * Reviews and fixes from GitHub, end to end: people act on the fake GitHub (comments, review requests), which
 * delivers signed webhooks over HTTP to the app's real route (behind proxy.ts); the worker does the GitHub calls
 * and starts tasks that the real runner works against the fake model; their results go back to the fake GitHub.
 */

// A review, a fix and an issue task each run a real attempt in the sandbox.
vi.setConfig({ testTimeout: 150_000 });

let stack: TestStack;
let server: Awaited<ReturnType<typeof startWebhookServer>>;
beforeAll(async () => {
  stack = await startTestStack();
  server = await startWebhookServer();
  await gh(stack, "POST", "webhooks", { url: server.hookUrl });
});
afterAll(async () => {
  await server?.close();
  await stack?.close();
});

const SUM_WITH_STRINGS = "function sum(numbers) {\n  let total = 0;\n  for (const n of numbers) total += Number(n);\n  return total;\n}\n\nmodule.exports = { sum };\n";

describe.each(dbKinds)("webhooks on %s", (kind) => {
  let handle: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  let worker: GitHubHooksWorker;
  let alice: string;

  beforeAll(async () => {
    handle = await openTestDb(kind);
    setProcessDb(handle);
    runner = await startRunner(
      handle,
      runnerConfigFromEnv(getEnv(), {
        dataDir: stack.dataDir,
        concurrency: 4,
        perUserLimit: 4,
        pollMs: 200,
        heartbeatMs: 200,
        model: { baseURL: stack.model.url, apiKey: "sk-test", model: "fake-codex", apiMode: "responses", timeoutMs: 30_000, maxRetries: 0 },
      }),
    );
    worker = await startGitHubHooksWorker(handle, { pollMs: 100, retryBaseMs: 100, linkRetryMs: 200 });
    const [a] = await handle.db.insert(users).values({ name: "Alice Example", githubLogin: "alice", githubId: 1001 }).returning();
    alice = a.id;
    await stack.github.reset();
    await linkGitHub(handle, alice, 1001, (await oauthLogin(stack.github, "alice")).token.access_token);
  });
  afterAll(async () => {
    await worker?.stop();
    await runner?.stop();
    await handle?.cleanup();
  });

  /**
   * A pull request by alice from a new branch that makes sum() take numeric strings. Branch names are per database
   * pass: the runner's mirror outlives the fake GitHub's reset between passes.
   */
  const named = (branch: string) => `${branch}-${kind}`;
  async function openSumPull(name: string) {
    const branch = named(name);
    await gh(stack, "POST", "repos/acme/widgets/commits", { branch, files: { "src/sum.js": SUM_WITH_STRINGS }, message: "sum takes numeric strings" });
    return gh(stack, "POST", "repos/acme/widgets/pulls", { user: "alice", head: branch, title: "sum() takes numeric strings", body: "So that form values add up." });
  }

  const comment = (number: number, user: string, body: string) =>
    gh(stack, "POST", `repos/acme/widgets/issues/${number}/comments`, { user, body }) as Promise<{
      comment: { id: number; html_url: string };
      delivery: { guid: string; status: number; response: string };
    }>;

  const taskCount = async () => (await handle.db.select().from(tasks)).length;

  /** The link of the task a delivery started, once its result is on GitHub. */
  const settled = (deliveryId: string) =>
    waitFor(
      async () => {
        const [link] = await handle.db.select().from(githubTaskLinks).where(eq(githubTaskLinks.deliveryId, deliveryId));
        return link && (link.state === "done" || link.state === "failed") ? link : null;
      },
      90_000,
      `the result of delivery ${deliveryId}`,
    );

  const handled = (deliveryId: string) =>
    waitFor(
      async () => {
        const [row] = await handle.db.select().from(githubDeliveries).where(eq(githubDeliveries.id, deliveryId));
        return row && (row.status === "done" || row.status === "failed") ? row : null;
      },
      30_000,
      `delivery ${deliveryId} to be handled`,
    );

  it("refuses a delivery with a bad signature, or none, with 401 and records nothing", async () => {
    const pull = await openSumPull("feature/unsigned");
    const { comment: c } = await comment(pull.number, "carol", "just a comment"); // no command: ignored (200)
    expect(c.id).toBeGreaterThan(0);
    const before = await handle.db.select().from(githubDeliveries);
    const deliveries = (await gh(stack, "GET", "webhooks/deliveries")) as { guid: string; event: string }[];
    const payload = JSON.parse(stack.github.webhooks.deliveries.find((d) => d.guid === deliveries[deliveries.length - 1].guid)!.body);
    payload.comment.body = "@patchbay review";
    for (const signature of ["bad", "none"]) {
      const d = await gh(stack, "POST", "webhooks/send", { event: "issue_comment", payload, signature });
      expect(d.status, signature).toBe(401);
      expect(JSON.parse(d.response)).toMatchObject({ error: { code: "bad_signature" } });
    }
    expect(await handle.db.select().from(githubDeliveries)).toEqual(before);
    expect(await conversation(stack, pull.number)).toMatchObject({ comments: [{ user: "carol", reactions: [] }], reviews: [] });
  });

  it("@patchbay review: reacts, runs an Ask review of the head on alice's board, posts ONE review with inline comments on the changed lines; a replay is ignored", async () => {
    const pull = await openSumPull("feature/sum-strings");
    const fake = fakeRepo(stack);
    const head = fake.sha(`refs/heads/${named("feature/sum-strings")}`);
    const before = await taskCount();

    const { comment: c, delivery } = await comment(pull.number, "alice", "Looks good to me.\n\n@patchbay review");
    expect(delivery.status).toBe(202);
    expect(JSON.parse(delivery.response)).toMatchObject({ queued: true });

    // Replays: GitHub's Redeliver (same delivery id), and the same signed body under a new delivery id.
    const again = await gh(stack, "POST", `webhooks/deliveries/${delivery.guid}/redeliver`);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.response)).toMatchObject({ ignored: "duplicate" });
    const body = stack.github.webhooks.deliveries.find((d) => d.guid === delivery.guid)!.body;
    const copied = await gh(stack, "POST", "webhooks/send", { event: "issue_comment", payload: JSON.parse(body) });
    expect(copied.status).toBe(200);
    expect(JSON.parse(copied.response)).toMatchObject({ ignored: "duplicate" });

    const link = await settled(delivery.guid);
    expect(link).toMatchObject({ kind: "review", state: "done", number: pull.number, commentId: c.id, sourceUrl: c.html_url, requestedBy: "alice" });
    expect(await taskCount()).toBe(before + 1);
    const task = (await findTask(handle.db, link.taskId))!;
    expect(task).toMatchObject({ ownerId: alice, mode: "ask", baseBranch: named("feature/sum-strings"), repoFullName: "acme/widgets", status: "succeeded" });
    expect(task.title).toBe(`Review pull request #${pull.number} of acme/widgets: "sum() takes numeric strings"`);
    expect(task.prompt).toContain(`git diff ${pull.base.sha}...HEAD`);
    expect(task.prompt).toContain("- src/sum.js (modified, +1 −1)");
    const [attempt] = await listAttempts(handle.db, task.id);
    expect(attempt.baseCommit).toBe(head);

    const convo = await conversation(stack, pull.number);
    // Eyes on the comment, once (the replays did nothing).
    expect(convo.comments[0]).toMatchObject({ id: c.id, reactions: [{ content: "eyes", user: "patchbay-fake[bot]" }] });
    expect(convo.reviews).toHaveLength(1);
    const [review] = convo.reviews;
    expect(review).toMatchObject({ user: "patchbay-fake[bot]", state: "COMMENTED", commitId: head });
    expect(link.resultUrl).toContain(`/pull/${pull.number}#pullrequestreview-${review.id}`);
    // Inline, ranked P1 first, on the new side of the lines the pull request changed (line 1 is a context line of
    // the hunk); the greet.js finding is not on the diff and goes to the summary.
    expect(review.comments.map((x) => [x.path, x.line, x.side, x.body.split("\n")[0]])).toEqual([
      ["src/sum.js", 3, "RIGHT", "**P1** · A value that is not a number makes the total NaN"],
      ["src/sum.js", 1, "RIGHT", "**P3** · Name the parameter for what it takes now"],
    ]);
    expect(review.comments[0].body).toContain("Number.isFinite");
    expect(review.body).toContain("### Patchbay review");
    expect(review.body).toContain("Values that are not numbers make the whole total `NaN`");
    expect(review.body).toContain("**Findings:** 1 × P1, 1 × P2, 1 × P3 (2 inline)");
    expect(review.body).toContain("- `src/greet.js:2` **P2** · greet() keeps surrounding spaces — Not part of this pull request");
    expect(review.body).toContain(`[View this review in Patchbay](http://localhost:3000/tasks/${task.id}) · asked by @alice`);
    // Nothing else was said: no comment from the App, and its own activity started nothing.
    expect(convo.comments).toHaveLength(1);
    expect(await taskCount()).toBe(before + 1);
  });

  it("a comment by someone without write access gets a polite reply and starts nothing", async () => {
    const pull = await openSumPull("feature/from-carol");
    const before = await taskCount();
    const { comment: c, delivery } = await comment(pull.number, "carol", "@patchbay fix make greet trim the name");
    expect(delivery.status).toBe(202);
    expect(await handled(delivery.guid)).toMatchObject({ status: "done", payload: null });
    const convo = await conversation(stack, pull.number);
    expect(convo.comments).toHaveLength(2);
    expect(convo.comments[0]).toMatchObject({ id: c.id, reactions: [] });
    expect(convo.comments[1]).toMatchObject({ user: "patchbay-fake[bot]" });
    expect(convo.comments[1].body).toBe(
      "@carol Sorry — only people with write access to acme/widgets can ask Patchbay for reviews and changes. A maintainer can ask on your behalf.",
    );
    expect(await taskCount()).toBe(before);
    // The App's reply came back as a delivery too, and was left alone (no loops).
    await expect
      .poll(() =>
        stack.github.webhooks.deliveries
          .filter((d) => (JSON.parse(d.body) as { comment?: { id: number } }).comment?.id === convo.comments[1].id)
          .map((d) => [d.status, (JSON.parse(d.response) as { ignored?: string }).ignored]),
      )
      .toEqual([[200, "a bot's comment"]]);
  });

  it("someone with write access who never signed in to Patchbay is asked to sign in first", async () => {
    await gh(stack, "PUT", "repos/acme/widgets/collaborators/bob", { permission: "write" });
    const pull = await openSumPull("feature/from-bob");
    const before = await taskCount();
    const { delivery } = await comment(pull.number, "bob", "@patchbay review");
    await handled(delivery.guid);
    const convo = await conversation(stack, pull.number);
    expect(convo.comments[1].body).toMatch(/^@bob Patchbay works for people who use it, .*Sign in once at http:\/\/localhost:3000 with GitHub/);
    expect(convo.comments[0].reactions).toEqual([]);
    expect(await taskCount()).toBe(before);
  });

  it("@patchbay fix <what>: a Code task on the pull request's branch, its commit pushed to that branch, the same pull request updated", async () => {
    const fake = fakeRepo(stack);
    const branch = named("changelog");
    await gh(stack, "POST", "repos/acme/widgets/branches", { name: branch, from: "develop" });
    const pull = await gh(stack, "POST", "repos/acme/widgets/pulls", { user: "alice", head: branch, title: "Start a changelog", body: "Written by alice." });
    const headBefore = fake.sha(`refs/heads/${branch}`);
    const { comment: c, delivery } = await comment(pull.number, "alice", "@patchbay fix make greet trim the name");
    const link = await settled(delivery.guid);
    expect(link).toMatchObject({ kind: "fix", state: "done", headRef: branch, headSha: headBefore, commentId: c.id });

    const task = (await findTask(handle.db, link.taskId))!;
    expect(task).toMatchObject({ ownerId: alice, mode: "code", baseBranch: branch, prNumber: pull.number, prBranch: branch, prState: "open" });
    expect(task.title).toBe("make greet trim the name");
    const [attempt] = await listAttempts(handle.db, task.id);

    // GitHub's branch: one new commit on top of what it was, holding exactly the attempt's diff, by alice.
    const headAfter = fake.sha(`refs/heads/${branch}`);
    expect(fake.sha(`${headAfter}^`)).toBe(headBefore);
    expect(fake.git(["diff", "--binary", "--find-renames", headBefore, headAfter])).toBe(attempt.diff);
    expect(fake.git(["log", "-1", "--format=%an", headAfter]).trim()).toBe("Alice Example");
    expect(attempt).toMatchObject({ baseCommit: headBefore, headCommit: headAfter, branchName: branch });

    // The same pull request, now with that head; its description is still alice's.
    const pulls = stack.github.state.pulls.filter((p) => p.headRef === branch);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ number: pull.number, body: "Written by alice." });
    const api = await fetch(`${stack.github.apiUrl}/repos/acme/widgets/pulls/${pull.number}/files`, {
      headers: { authorization: `token ${stack.github.state.issueInstallationToken(stack.github.state.installations.get(501)!, null, { pull_requests: "read" }).token}` },
    }).then((r) => r.json() as Promise<{ filename: string }[]>);
    expect(api.map((f) => f.filename).sort()).toEqual(["CHANGELOG.md", "src/greet.js"]);

    const convo = await conversation(stack, pull.number);
    expect(convo.comments[0].reactions).toEqual([{ content: "eyes", user: "patchbay-fake[bot]" }]);
    const reply = convo.comments[1];
    expect(reply.user).toBe("patchbay-fake[bot]");
    expect(reply.body).toContain(`@alice Pushed ${headAfter.slice(0, 7)} to \`${branch}\`.`);
    expect(reply.body).toContain("- `greet()` now trims surrounding whitespace from the name before building the greeting (src/greet.js:L1-L3)");
    expect(reply.body).toContain(`[Open the task in Patchbay](http://localhost:3000/tasks/${task.id})`);
  });

  it("@patchbay <task> on an issue: a Code task whose pull request says Fixes #N, and a reply linking it", async () => {
    const issue = await gh(stack, "POST", "repos/acme/widgets/issues", { user: "alice", title: "greet keeps the spaces", body: "greet(\"  Ada \") says Hello,   Ada !" });
    const { delivery } = await comment(issue.number, "alice", "@patchbay make greet trim the name");
    const link = await settled(delivery.guid);
    expect(link).toMatchObject({ kind: "issue", state: "done", number: issue.number });
    const task = (await findTask(handle.db, link.taskId))!;
    expect(task).toMatchObject({ ownerId: alice, mode: "code", baseBranch: "main", prState: "open" });
    expect(task.prompt).toContain(`This comes from issue #${issue.number} of acme/widgets, "greet keeps the spaces"`);

    const pull = stack.github.state.pulls.find((p) => p.number === task.prNumber)!;
    expect(pull).toMatchObject({ baseRef: "main", headRef: task.prBranch, title: "make greet trim the name", state: "open" });
    expect(pull.body).toContain(`Fixes #${issue.number}\n`);
    expect(pull.body).toContain("## Summary\n- `greet()` now trims surrounding whitespace");
    expect(link.resultUrl).toBe(task.prUrl);

    const convo = await conversation(stack, issue.number);
    expect(convo.comments[0].reactions).toEqual([{ content: "eyes", user: "patchbay-fake[bot]" }]);
    expect(convo.comments[1].body).toContain(`@alice Opened #${pull.number} for this: ${task.prUrl}`);
    expect(await findTaskLink(handle.db, task.id)).toMatchObject({ sourceUrl: expect.stringContaining(`/issues/${issue.number}#issuecomment-`) });
  });

  it("a review requested from the App starts one only where the repository turned that on; only writers turn it on", async () => {
    const pull = await openSumPull("feature/requested");
    const before = await taskCount();
    const request = async () => {
      const { deliveries } = await gh(stack, "POST", `repos/acme/widgets/pulls/${pull.number}/requested_reviewers`, { user: "alice", reviewers: ["patchbay-fake[bot]"] });
      expect(deliveries[0]).toMatchObject({ event: "pull_request", action: "review_requested", status: 202 });
      return deliveries[0].guid as string;
    };
    // Off (the default): recorded, then nothing.
    await handled(await request());
    expect(await taskCount()).toBe(before);
    expect(await conversation(stack, pull.number)).toEqual({ comments: [], reviews: [] });

    const repoFullName = "acme/widgets";
    expect(await getReviewSettings({ userId: alice, repoFullName })).toMatchObject({
      reviewOnRequest: false,
      canChange: true,
      reviewers: ["patchbay-fake[bot]", "patchbay"],
      webhooksConfigured: true,
    });
    await gh(stack, "PUT", "repos/acme/widgets/collaborators/alice", { permission: "triage" });
    await expect(saveReviewSettings({ userId: alice, repoFullName, input: { reviewOnRequest: true } })).rejects.toMatchObject({ status: 403, code: "forbidden" });
    await gh(stack, "PUT", "repos/acme/widgets/collaborators/alice", { permission: "maintain" });
    expect(await saveReviewSettings({ userId: alice, repoFullName, input: { reviewOnRequest: true } })).toMatchObject({ reviewOnRequest: true });

    // On: the next request (after a new push) is a review by the App, linked to the pull request.
    await gh(stack, "POST", "repos/acme/widgets/commits", { branch: named("feature/requested"), files: { "CHANGELOG.md": "# Changelog\n" }, message: "Changelog" });
    const link = await settled(await request());
    expect(link).toMatchObject({ kind: "review", state: "done", commentId: null, requestedBy: "alice", sourceUrl: `${stack.github.url}/acme/widgets/pull/${pull.number}` });
    expect(await taskCount()).toBe(before + 1);
    const convo = await conversation(stack, pull.number);
    expect(convo.comments).toEqual([]);
    expect(convo.reviews).toHaveLength(1);
    expect(convo.reviews[0].comments.map((c) => [c.path, c.line])).toEqual([
      ["src/sum.js", 3],
      ["src/sum.js", 1],
    ]);
  });

  it("answers what it cannot do: help for a bare mention, a review asked on an issue, a task that failed", async () => {
    const before = await taskCount();
    const issue = await gh(stack, "POST", "repos/acme/widgets/issues", { user: "alice", title: "Something" });
    const onIssue = await comment(issue.number, "alice", "@patchbay review");
    await handled(onIssue.delivery.guid);
    const pull = await openSumPull("feature/answers");
    const bare = await comment(pull.number, "alice", "@patchbay");
    await handled(bare.delivery.guid);
    expect(await taskCount()).toBe(before);
    expect((await conversation(stack, issue.number)).comments[1].body).toBe(
      "@alice Reviews are for pull requests. On an issue, write `@patchbay <what to do>` and Patchbay opens a pull request for it.",
    );
    expect((await conversation(stack, pull.number)).comments[1].body).toMatch(/^@alice Here is what Patchbay can do from a comment:\n\n- `@patchbay review` on a pull request/);

    const failing = await comment(pull.number, "alice", "@patchbay fix [scenario:bad-request] make it work");
    const link = await settled(failing.delivery.guid);
    expect(link).toMatchObject({ kind: "fix", state: "failed" });
    expect((await findTask(handle.db, link.taskId))!.status).toBe("failed");
    const convo = await conversation(stack, pull.number);
    const reply = convo.comments[convo.comments.length - 1];
    expect(reply.user).toBe("patchbay-fake[bot]");
    expect(reply.body).toMatch(/^@alice The fix did not finish: .+ \[Open the task in Patchbay\]\(http:\/\/localhost:3000\/tasks\//);
    expect(stack.github.state.pulls.find((p) => p.number === pull.number)).toMatchObject({ headRef: named("feature/answers") });
    expect(fakeRepo(stack).git(["log", "--format=%s", "-1", `refs/heads/${named("feature/answers")}`]).trim()).toBe("sum takes numeric strings");
  });

  it("GitHub failing for a moment delays the work, never loses or repeats it", async () => {
    const pull = await openSumPull("feature/outage");
    await gh(stack, "POST", "faults", { method: "GET", path: "/collaborators/alice/permission$", status: 502, times: 2 });
    await gh(stack, "POST", "faults", { method: "POST", path: "/pulls/\\d+/reviews$", status: 503, times: 1 });
    const { delivery } = await comment(pull.number, "alice", "@patchbay review");
    const row = await handled(delivery.guid);
    expect(row).toMatchObject({ status: "done", tries: 3 });
    const link = await settled(delivery.guid);
    expect(link).toMatchObject({ state: "done", error: null });
    const convo = await conversation(stack, pull.number);
    expect(convo.reviews).toHaveLength(1);
    expect(convo.comments[0].reactions).toHaveLength(1);
    await gh(stack, "DELETE", "faults");
  });
});
