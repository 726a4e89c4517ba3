import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./server";
import { silentLog } from "./test-helpers";

type Received = { headers: http.IncomingHttpHeaders; body: string };

let gh: FakeGitHub;
let receiver: http.Server;
const received: Received[] = [];
let bot: Octokit;

async function control(method: string, route: string, body?: unknown) {
  const res = await fetch(`${gh.url}/_fake/${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(202, { "content-type": "application/json" }).end('{"queued":true}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  gh = await startFakeGitHub({ webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
  const app = new App({
    appId: gh.app.appId,
    privateKey: gh.app.privateKeyPem,
    Octokit: Octokit.defaults({ baseUrl: gh.apiUrl }),
    log: silentLog,
  });
  bot = (await app.getInstallationOctokit(501)) as unknown as Octokit;
});
afterAll(async () => {
  await gh?.close();
  await new Promise((r) => receiver?.close(r));
});

describe("webhook deliveries", () => {
  it("a person's comment is an issue_comment delivery signed with the App's secret; Redeliver keeps its GUID", async () => {
    await control("POST", "repos/acme/widgets/commits", { branch: "feature/x", files: { "src/sum.js": "function sum() {\n  return 0;\n}\n" } });
    const pull = await control("POST", "repos/acme/widgets/pulls", { user: "alice", head: "feature/x", title: "Sum returns 0" });
    const before = received.length;
    const { comment, delivery } = await control("POST", `repos/acme/widgets/issues/${pull.number}/comments`, { user: "alice", body: "@patchbay review" });
    expect(delivery).toMatchObject({ event: "issue_comment", action: "created", status: 202 });
    const got = received[before];
    expect(got.headers["x-github-event"]).toBe("issue_comment");
    expect(got.headers["x-github-delivery"]).toBe(delivery.guid);
    const expected = `sha256=${createHmac("sha256", gh.app.webhookSecret).update(got.body).digest("hex")}`;
    expect(got.headers["x-hub-signature-256"]).toBe(expected);
    const payload = JSON.parse(got.body);
    expect(payload).toMatchObject({
      action: "created",
      issue: { number: pull.number, pull_request: { url: expect.stringContaining(`/pulls/${pull.number}`) } },
      comment: { id: comment.id, body: "@patchbay review", user: { login: "alice", id: 1001, type: "User" } },
      repository: { full_name: "acme/widgets" },
      sender: { login: "alice" },
      installation: { id: 501 },
    });

    const again = await control("POST", `webhooks/deliveries/${delivery.guid}/redeliver`);
    expect(again).toMatchObject({ guid: delivery.guid, redelivery: true, status: 202 });
    expect(received[received.length - 1].body).toBe(got.body);
  });

  it("signs badly or not at all when asked", async () => {
    const bad = await control("POST", "webhooks/send", { event: "issue_comment", payload: { action: "created" }, signature: "bad" });
    const sent = received[received.length - 1];
    expect(bad.status).toBe(202);
    expect(sent.headers["x-hub-signature-256"]).not.toBe(`sha256=${createHmac("sha256", gh.app.webhookSecret).update(sent.body).digest("hex")}`);
    await control("POST", "webhooks/send", { event: "issue_comment", payload: { action: "created" }, signature: "none" });
    expect(received[received.length - 1].headers["x-hub-signature-256"]).toBeUndefined();
  });
});

describe("reviews, comments, reactions, permissions", () => {
  it("lists a pull request's files with patches, and the same through compare", async () => {
    await control("POST", "repos/acme/widgets/commits", {
      branch: "feature/files",
      files: { "src/sum.js": "function sum(numbers) {\n  let total = 0;\n  for (const n of numbers) total += Number(n);\n  return total;\n}\n\nmodule.exports = { sum };\n" },
    });
    const pull = await control("POST", "repos/acme/widgets/pulls", { user: "alice", head: "feature/files", title: "Numbers" });
    const { data: files } = await bot.rest.pulls.listFiles({ owner: "acme", repo: "widgets", pull_number: pull.number });
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ filename: "src/sum.js", status: "modified", additions: 1, deletions: 1 });
    expect(files[0].patch).toContain("@@ -1,6 +1,6 @@");
    expect(files[0].patch).toContain("+  for (const n of numbers) total += Number(n);");
    const { data: cmp } = await bot.rest.repos.compareCommitsWithBasehead({ owner: "acme", repo: "widgets", basehead: `main...${pull.head.sha}` });
    expect(cmp.files?.map((f) => f.patch)).toEqual([files[0].patch]);

    // One review with an inline comment on a changed line; a line outside the diff refuses the whole review.
    await expect(
      bot.rest.pulls.createReview({
        owner: "acme",
        repo: "widgets",
        pull_number: pull.number,
        event: "COMMENT",
        body: "x",
        comments: [{ path: "src/greet.js", line: 2, side: "RIGHT", body: "not in the diff" }],
      }),
    ).rejects.toMatchObject({ status: 422 });
    const { data: review } = await bot.rest.pulls.createReview({
      owner: "acme",
      repo: "widgets",
      pull_number: pull.number,
      commit_id: pull.head.sha,
      event: "COMMENT",
      body: "Summary",
      comments: [{ path: "src/sum.js", line: 3, side: "RIGHT", body: "Number('x') is NaN" }],
    });
    expect(review).toMatchObject({ state: "COMMENTED", user: { login: "patchbay-fake[bot]" }, commit_id: pull.head.sha });
    const { data: inline } = await bot.rest.pulls.listReviewComments({ owner: "acme", repo: "widgets", pull_number: pull.number });
    expect(inline.map((c) => [c.path, c.line, c.side, c.body])).toEqual([["src/sum.js", 3, "RIGHT", "Number('x') is NaN"]]);
  });

  it("reacts to and answers comments as the App, and the answer is a delivery too", async () => {
    const issue = await control("POST", "repos/acme/widgets/issues", { user: "bob", title: "greet is rude" });
    const { comment } = await control("POST", `repos/acme/widgets/issues/${issue.number}/comments`, { user: "bob", body: "@patchbay fix it" });
    const { status } = await bot.rest.reactions.createForIssueComment({ owner: "acme", repo: "widgets", comment_id: comment.id, content: "eyes" });
    expect(status).toBe(201);
    const count = gh.webhooks.deliveries.length;
    await bot.rest.issues.createComment({ owner: "acme", repo: "widgets", issue_number: issue.number, body: "On it." });
    const convo = await control("GET", `repos/acme/widgets/issues/${issue.number}/conversation`);
    expect(convo.comments).toEqual([
      { id: comment.id, user: "bob", body: "@patchbay fix it", reactions: [{ content: "eyes", user: "patchbay-fake[bot]" }] },
      { id: expect.any(Number), user: "patchbay-fake[bot]", body: "On it.", reactions: [] },
    ]);
    await expect.poll(() => gh.webhooks.deliveries.length).toBe(count + 1);
    expect(JSON.parse(gh.webhooks.deliveries[count].body).sender).toMatchObject({ login: "patchbay-fake[bot]", type: "Bot" });
  });

  it("says who may write: installation people write, others read a public repository, roles set by the control API", async () => {
    const perm = async (login: string) =>
      (await bot.rest.repos.getCollaboratorPermissionLevel({ owner: "acme", repo: "widgets", username: login })).data.permission;
    expect(await perm("alice")).toBe("write");
    expect(await perm("carol")).toBe("read");
    await control("PUT", "repos/acme/widgets/collaborators/carol", { permission: "maintain" });
    expect(await perm("carol")).toBe("write");
    await expect(perm("nobody-here")).rejects.toMatchObject({ status: 404 });
  });
});
