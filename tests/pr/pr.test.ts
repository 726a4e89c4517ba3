import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { findAttempt, findTask, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { createPullRequest, refreshPullRequestState, updatePullRequest } from "@/lib/pr/open";
import { runnerConfigFromEnv } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { dbKinds, openTestDb } from "../helpers/db";
import { startTestStack, setProcessDb, waitFor, type TestStack } from "../helpers/stack";
import { addFault, clearFaults, enqueueFollowUp, errorOf, fakeControl, fakeRepo } from "./helpers";

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

describe.each(dbKinds)("pull requests on %s", (kind) => {
  let handle: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    handle = await openTestDb(kind);
    setProcessDb(handle);
    const config = runnerConfigFromEnv(getEnv(), {
      dataDir: stack.dataDir,
      concurrency: 4,
      perUserLimit: 4,
      pollMs: 200,
      heartbeatMs: 200,
      model: { baseURL: stack.model.url, apiKey: "sk-test", model: "fake-codex", apiMode: "responses", timeoutMs: 30_000, maxRetries: 0 },
    });
    runner = await startRunner(handle, config);
    const [a] = await handle.db.insert(users).values({ name: "Alice Example", githubLogin: "alice", githubId: 1001 }).returning();
    const [b] = await handle.db.insert(users).values({ name: "Bob Builder", githubLogin: "bob", githubId: 1002 }).returning();
    alice = a.id;
    bob = b.id;
  });
  afterAll(async () => {
    await runner?.stop();
    await handle?.cleanup();
  });
  afterEach(async () => {
    await clearFaults(stack);
  });

  const finished = (attemptId: string, turn = 0) =>
    waitFor(
      async () => {
        const a = await findAttempt(handle.db, attemptId);
        return a && a.turn === turn && FINAL.includes(a.status) ? a : null;
      },
      60_000,
      `attempt ${attemptId} turn ${turn} to finish`,
    );

  /** A finished Code (or Ask) task run by the real runner against the fake model. */
  async function finishedTask(prompt: string, opts: { mode?: "code" | "ask"; baseBranch?: string } = {}) {
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: alice,
      repoFullName: "acme/widgets",
      baseBranch: opts.baseBranch ?? "main",
      mode: opts.mode ?? "code",
      title: prompt,
      prompt,
      attemptsCount: 1,
    });
    await handle.notify("patchbay_jobs", "");
    const attempt = await finished(attempts[0].id);
    expect(attempt.status).toBe("succeeded");
    return { task: (await findTask(handle.db, task.id))!, attempt };
  }

  const pullOf = (number: number) => stack.github.state.pulls.find((p) => p.number === number && p.repoId === 3001)!;

  it("creates the PR: the attempt's diff as one commit on the base commit, by the user, with Summary, Testing and a link", async () => {
    const fake = fakeRepo(stack);
    const { task, attempt } = await finishedTask("Make greet trim the name before greeting");
    const pr = await createPullRequest({ userId: alice, taskId: task.id });

    const branch = `patchbay/make-greet-trim-the-name-before-greeting-${task.id.slice(0, 8)}`;
    expect(pr).toMatchObject({ branch, base: "main", state: "open", draft: false, push: { commits: 1 } });
    expect(pr.push?.message).toBe(`Opened pull request #${pr.number} into main with 1 commit on ${branch}.`);
    expect(pr.url).toBe(`${stack.github.url}/acme/widgets/pull/${pr.number}`);

    // GitHub holds the branch: exactly one commit on top of the base commit, carrying exactly the attempt's diff.
    const head = fake.sha(`refs/heads/${branch}`);
    expect(fake.sha(`${head}^`)).toBe(attempt.baseCommit);
    expect(fake.git(["diff", "--binary", "--find-renames", attempt.baseCommit!, head])).toBe(attempt.diff);
    expect(fake.git(["log", "-1", "--format=%an <%ae>|%cn|%s", head]).trim()).toBe(
      `Alice Example <1001+alice@users.noreply.127.0.0.1>|Patchbay|${task.title}`,
    );

    const pull = pullOf(pr.number);
    expect(pull).toMatchObject({ state: "open", draft: false, headRef: branch, headSha: head, baseRef: "main", title: task.title });
    expect(pull.body).toContain(
      "## Summary\n- `greet()` now trims surrounding whitespace from the name before building the greeting (src/greet.js:L1-L3)\n",
    );
    expect(pull.body).toContain("## Testing\n- ✅ `node test/run.js`\n");
    expect(pull.body).toContain(`---\n[View this task in Patchbay](http://localhost:3000/tasks/${task.id})`);
    expect(pull.body).not.toContain("【");

    const stored = (await findTask(handle.db, task.id))!;
    expect(stored).toMatchObject({ prUrl: pr.url, prNumber: pr.number, prState: "open", prBranch: branch });
    expect(await findAttempt(handle.db, attempt.id)).toMatchObject({ branchName: branch, headCommit: head });
    expect(await refreshPullRequestState({ userId: alice, taskId: task.id })).toEqual({ ...pr, push: undefined });

    // A follow-up, then Update branch: a new commit on top of the previous head, the same PR, a body for both turns.
    await enqueueFollowUp(handle, { taskId: task.id, attemptId: attempt.id, ownerId: alice, seq: 1, prompt: "Also make sum ignore non-numbers" });
    const after = await finished(attempt.id, 1);
    expect(after.status).toBe("succeeded");
    const updated = await updatePullRequest({ userId: alice, taskId: task.id });
    expect(updated).toMatchObject({ number: pr.number, branch, state: "open", push: { commits: 1, message: `Pushed 1 commit to ${branch}.` } });
    const newHead = fake.sha(`refs/heads/${branch}`);
    // The follow-up's commit is named after what that turn did, not after the task.
    expect(fake.git(["log", "-1", "--format=%s", newHead]).trim()).toBe("`sum()` now skips values that are not finite numbers");
    expect(newHead).not.toBe(head);
    expect(fake.sha(`${newHead}^`)).toBe(head);
    const followUpDiff = fake.git(["diff", head, newHead]);
    expect(followUpDiff).toContain("diff --git a/src/sum.js b/src/sum.js");
    expect(followUpDiff).not.toContain("src/greet.js");
    expect(fake.git(["diff", "--binary", "--find-renames", attempt.baseCommit!, newHead])).toBe(after.diff);
    const pullAfter = pullOf(pr.number);
    expect(pullAfter.headSha).toBe(newHead);
    expect(pullAfter.body).toMatch(/## Summary\n- `greet\(\)` now trims[^\n]*\n- `sum\(\)` now skips values that are not finite numbers \(src\/sum\.js:L1-L7\)\n/);
    expect(pullAfter.body!.match(/node test\/run\.js/g)).toHaveLength(1);
    expect(stack.github.state.pulls.filter((p) => p.headRef === branch)).toHaveLength(1);

    // The POST route's path when the task already has a PR is Update branch too; with nothing new it changes nothing.
    expect(await createPullRequest({ userId: alice, taskId: task.id })).toMatchObject({
      number: pr.number,
      push: { commits: 0, message: `Already up to date: ${branch} has every change of Attempt 1.` },
    });
    expect(fake.sha(`refs/heads/${branch}`)).toBe(newHead);
  });

  it("opens a draft PR", async () => {
    const { task } = await finishedTask("Make greet trim the name (draft)");
    const pr = await createPullRequest({ userId: alice, taskId: task.id, draft: true });
    expect(pr).toMatchObject({ state: "draft", draft: true });
    expect(pullOf(pr.number).draft).toBe(true);
    expect((await findTask(handle.db, task.id))?.prState).toBe("draft");
  });

  it("has no PR for Ask tasks and none for someone else's task", async () => {
    const ask = await finishedTask("How does sum work?", { mode: "ask" });
    expect(await errorOf(createPullRequest({ userId: alice, taskId: ask.task.id }))).toMatchObject({
      code: "ask_task_no_pr",
      status: 400,
      message: "Ask tasks have no pull request.",
    });
    const { task } = await finishedTask("Make greet trim the name (mine)");
    expect(await errorOf(createPullRequest({ userId: bob, taskId: task.id }))).toMatchObject({ status: 404, code: "not_found" });
    expect(await errorOf(updatePullRequest({ userId: bob, taskId: task.id }))).toMatchObject({ status: 404 });
    expect(await errorOf(refreshPullRequestState({ userId: alice, taskId: task.id }))).toMatchObject({ status: 404 });
    expect((await findTask(handle.db, task.id))?.prNumber).toBeNull();
  });

  it("shows each failure as its own message, keeps the task intact, and succeeds when tried again", async () => {
    const fake = fakeRepo(stack);
    const { task, attempt } = await finishedTask("Make greet trim the name (errors)");
    const branch = `patchbay/make-greet-trim-the-name-errors-${task.id.slice(0, 8)}`;
    const intact = async () => {
      const t = (await findTask(handle.db, task.id))!;
      const a = (await findAttempt(handle.db, attempt.id))!;
      expect(t.prNumber).toBeNull();
      expect(t.prUrl).toBeNull();
      expect(a.diff).toBe(attempt.diff);
      expect(a.status).toBe("succeeded");
    };

    // The App may not write the repository's contents.
    await addFault(stack, { method: "POST", path: "^/acme/widgets(\\.git)?/git-receive-pack$", status: 403, body: "Permission denied\n" });
    const noWrite = await errorOf(createPullRequest({ userId: alice, taskId: task.id }));
    expect(noWrite).toMatchObject({ code: "github_no_write_access", status: 403 });
    expect(noWrite.message).toBe("The GitHub App cannot write to acme/widgets: give it Contents: write permission, then try again.");
    expect(noWrite.action?.href).toBe(`${stack.github.url}/apps/patchbay-fake/installations/new`);
    expect(fake.has(branch)).toBe(false);
    await intact();

    // A protected-branch rule (a pre-receive hook declining the push, as GitHub's GH006 does).
    const hook = path.join(fake.dir, "hooks", "pre-receive");
    fs.mkdirSync(path.dirname(hook), { recursive: true });
    fs.writeFileSync(hook, "#!/bin/sh\necho 'error: GH006: Protected branch update failed for refs/heads/x.' >&2\nexit 1\n", { mode: 0o755 });
    try {
      const prot = await errorOf(createPullRequest({ userId: alice, taskId: task.id }));
      expect(prot).toMatchObject({ code: "branch_protected", status: 409 });
      expect(prot.message).toContain("branch protection rule");
      expect(prot.message).toContain("GH006: Protected branch update failed");
    } finally {
      fs.rmSync(hook, { force: true });
    }
    expect(fake.has(branch)).toBe(false);
    await intact();

    // GitHub down, then rate limited, when opening the PR (the branch is pushed by then).
    await addFault(stack, { method: "POST", path: "^/api/v3/repos/acme/widgets/pulls$", status: 503 });
    const down = await errorOf(createPullRequest({ userId: alice, taskId: task.id }));
    expect(down).toMatchObject({ code: "github_unavailable", status: 502 });
    expect(down.message).toMatch(/GitHub is not answering right now/);
    await intact();
    const pushed = fake.sha(`refs/heads/${branch}`);

    await addFault(stack, { method: "POST", path: "^/api/v3/repos/acme/widgets/pulls$", status: 429 });
    const limited = await errorOf(createPullRequest({ userId: alice, taskId: task.id }));
    expect(limited).toMatchObject({ code: "github_rate_limited", status: 429 });
    expect(limited.message).toMatch(/rate limit was reached while opening the pull request\. Try again in 1 seconds/);
    await intact();

    // Pressed again: the same branch and commit, one commit on the base, one PR.
    const pr = await createPullRequest({ userId: alice, taskId: task.id });
    expect(pr.branch).toBe(branch);
    expect(fake.sha(`refs/heads/${branch}`)).toBe(pushed);
    expect(fake.sha(`${pushed}^`)).toBe(attempt.baseCommit);
    expect(pullOf(pr.number).headSha).toBe(pushed);
  });

  it("picks a suffixed branch name when the name is taken on GitHub", async () => {
    const fake = fakeRepo(stack);
    const { task, attempt } = await finishedTask("Make greet trim the name (taken)");
    const taken = `patchbay/make-greet-trim-the-name-taken-${task.id.slice(0, 8)}`;
    await fakeControl(stack, "POST", "repos/acme/widgets/branches", { name: taken, from: "main" });
    const before = fake.sha(`refs/heads/${taken}`);
    const pr = await createPullRequest({ userId: alice, taskId: task.id });
    expect(pr.branch).toBe(`${taken}-2`);
    expect(fake.sha(`refs/heads/${taken}`)).toBe(before);
    expect(fake.sha(`refs/heads/${taken}-2^`)).toBe(attempt.baseCommit);
  });

  it("refuses to push over commits someone else added to the branch", async () => {
    const fake = fakeRepo(stack);
    const { task } = await finishedTask("Make greet trim the name (diverged)");
    const pr = await createPullRequest({ userId: alice, taskId: task.id });
    const theirs = fake.commit(pr.branch, "NOTES.md", "not Patchbay's\n");
    const err = await errorOf(updatePullRequest({ userId: alice, taskId: task.id }));
    expect(err).toMatchObject({ code: "branch_diverged", status: 409 });
    expect(err.message).toMatch(/^The branch patchbay\/\S+ has commits Patchbay did not make; /);
    expect(fake.sha(`refs/heads/${pr.branch}`)).toBe(theirs);
  });

  it("says when the base branch is gone, and when it moved so the changes no longer apply", async () => {
    const fake = fakeRepo(stack);
    const develop = fake.sha("refs/heads/develop");
    const { task } = await finishedTask("Make greet trim the name (on develop)", { baseBranch: "develop" });
    await fakeControl(stack, "DELETE", "repos/acme/widgets/branches/develop");
    try {
      const gone = await errorOf(createPullRequest({ userId: alice, taskId: task.id }));
      expect(gone).toMatchObject({ code: "base_branch_gone", status: 409 });
      expect(gone.message).toMatch(/^The base branch develop is gone from acme\/widgets/);
    } finally {
      await fakeControl(stack, "POST", "repos/acme/widgets/branches", { name: "develop", from: develop });
    }
    expect((await findTask(handle.db, task.id))?.prNumber).toBeNull();

    const release = `release-${kind}`;
    await fakeControl(stack, "POST", "repos/acme/widgets/branches", { name: release, from: "main" });
    const moved = await finishedTask("Make greet trim the name (on release)", { baseBranch: release });
    fake.commit(release, "src/greet.js", 'function greet(name) {\n  return "Hi, " + name + "!";\n}\n\nmodule.exports = { greet };\n');
    const conflict = await errorOf(createPullRequest({ userId: alice, taskId: moved.task.id }));
    expect(conflict).toMatchObject({ code: "base_branch_moved", status: 409 });
    expect(conflict.message).toBe(
      `${release} moved since this task started, and the changes no longer apply on it (conflicts in src/greet.js). ` +
        `Start a new task from the current ${release}, or ask for a follow-up that works on top of it.`,
    );
    expect((await findTask(handle.db, moved.task.id))?.prNumber).toBeNull();
  });

  it("opens the PR from the attempt named into the base chosen; that attempt becomes the chosen one and alone updates it", async () => {
    const base = `release-pick-${kind}`;
    await fakeControl(stack, "POST", "repos/acme/widgets/branches", { name: base, from: "main" });
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: alice,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "Make greet trim the name, two ways (PR)",
      prompt: "Make greet trim the name, two ways (PR)",
      attemptsCount: 2,
    });
    await handle.notify("patchbay_jobs", "");
    for (const a of attempts) expect((await finished(a.id)).status).toBe("succeeded");
    // The task's row follows its attempts' in a transaction of its own: wait for the chosen attempt to be set.
    const chosen = await waitFor(async () => (await findTask(handle.db, task.id))?.chosenAttemptId ?? null, 10_000, "the task's chosen attempt");
    const other = attempts.find((a) => a.id !== chosen)!;

    expect(await errorOf(createPullRequest({ userId: alice, taskId: task.id, attemptId: other.id, base: "no-such-branch" }))).toMatchObject({
      code: "base_branch_gone",
      message: "acme/widgets has no branch no-such-branch to open the pull request against. Pick another base branch.",
    });
    const pr = await createPullRequest({ userId: alice, taskId: task.id, attemptId: other.id, base });
    expect(pr).toMatchObject({ base, push: { commits: 1 } });
    expect(pullOf(pr.number).baseRef).toBe(base);
    expect(await findTask(handle.db, task.id)).toMatchObject({ chosenAttemptId: other.id, prBase: base, prBranch: pr.branch });
    expect(await findAttempt(handle.db, other.id)).toMatchObject({ branchName: pr.branch, prTurn: 0 });

    // Update branch from the other attempt is refused and says which attempt the PR belongs to.
    const refused = await errorOf(updatePullRequest({ userId: alice, taskId: task.id, attemptId: chosen! }));
    expect(refused).toMatchObject({ code: "pr_from_other_attempt", status: 409 });
    expect(refused.message).toContain(`opened from Attempt ${other.index + 1} of this task`);
    expect(await updatePullRequest({ userId: alice, taskId: task.id, attemptId: other.id })).toMatchObject({ base, push: { commits: 0 } });
  });

  it("refreshes a merged PR's state and refuses to update it", async () => {
    const { task } = await finishedTask("Make greet trim the name (merged)");
    const pr = await createPullRequest({ userId: alice, taskId: task.id });
    const merged = { html_url: pr.url, number: pr.number, state: "closed", draft: false, merged: true, merged_at: "2030-01-01T00:00:00Z", head: { ref: pr.branch } };
    await addFault(stack, { method: "GET", path: `^/api/v3/repos/acme/widgets/pulls/${pr.number}$`, status: 200, body: merged, times: 2 });
    expect(await refreshPullRequestState({ userId: alice, taskId: task.id })).toMatchObject({ state: "merged", number: pr.number });
    expect((await findTask(handle.db, task.id))?.prState).toBe("merged");
    expect(await errorOf(updatePullRequest({ userId: alice, taskId: task.id }))).toMatchObject({ code: "pr_merged", status: 409 });
  });
});
