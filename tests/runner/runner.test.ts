import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAttemptEvents } from "@/db/queries/events";
import { findAttempt, findTask, ImageAttachError, insertTaskWithJobs, listAttempts, usageOfOwner } from "@/db/queries/tasks";
import { uploadImage } from "@/lib/images/images";
import { users } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { runnerConfigFromEnv, type RunnerConfig } from "@/lib/runner/config";
import { startRunner, type Runner } from "@/lib/runner/runner";
import { syntheticEtcFiles } from "@/lib/sandbox/bwrap-args";
import { cancelTask } from "@/lib/tasks/cancel";
import { addFollowUp } from "@/lib/tasks/follow-up";
import { steerAttempt } from "@/lib/tasks/steer";
import { insertSteerMessage } from "@/db/queries/steer";
import { fakeRepo } from "../pr/helpers";
import { dbKinds, openTestDb } from "../helpers/db";
import { startTestStack, setProcessDb, waitFor, type TestStack } from "../helpers/stack";

const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];

// One set of fakes per file: lib/env and the GitHub App client are configured once per process.
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

describe.each(dbKinds)("runner on %s", (kind) => {
  let handle: Awaited<ReturnType<typeof openTestDb>>;
  let runner: Runner;
  let config: RunnerConfig;
  let userId: string;

  beforeAll(async () => {
    handle = await openTestDb(kind);
    setProcessDb(handle);
    config = runnerConfigFromEnv(getEnv(), {
      dataDir: stack.dataDir,
      concurrency: 4,
      perUserLimit: 4,
      pollMs: 200,
      heartbeatMs: 200,
      mirrorFreshMs: 0, // these tests push to the fake GitHub and expect the next task to see it
      model: {
        baseURL: stack.model.url,
        apiKey: "sk-test",
        model: "fake-codex",
        apiMode: kind === "pglite" ? "responses" : "chat",
        timeoutMs: 30_000,
        maxRetries: 0,
      },
    });
    runner = await startRunner(handle, config);
    const [u] = await handle.db.insert(users).values({ name: "Alice", githubLogin: "alice" }).returning();
    userId = u.id;
  });
  afterAll(async () => {
    await runner?.stop();
    await handle?.cleanup();
  });

  async function newTask(prompt: string, mode: "code" | "ask" = "code", attemptsCount = 1) {
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: userId,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode,
      title: prompt.slice(0, 40),
      prompt,
      attemptsCount,
    });
    await handle.notify("patchbay_jobs", "");
    return { task, attempts };
  }

  const finished = (attemptId: string) =>
    waitFor(async () => {
      const a = await findAttempt(handle.db, attemptId);
      return a && FINAL.includes(a.status) ? a : null;
    }, 60_000, `attempt ${attemptId} to finish`);

  /** Waits until the attempt's log shows `text` (its slow command is running). */
  const logged = (attemptId: string, text: string) =>
    waitFor(async () => {
      const events = await listAttemptEvents(handle.db, attemptId);
      return events.some((e) => e.type === "log" && String(e.payload.text).includes(text));
    }, 30_000, "the slow command to start");

  // First in the file: nothing has run a sandbox yet when the runner has just started.
  it("has the sandboxes' /etc folder ready once started, before any attempt (the first task does not pay for the copy)", () => {
    const parent = path.join(config.dataDir, "sandbox-etc");
    const made = fs.readdirSync(parent).filter((n) => n.startsWith("patchbay-etc-"));
    expect(made).toHaveLength(1);
    expect(fs.readFileSync(path.join(parent, made[0], "passwd"), "utf8")).toBe(syntheticEtcFiles().passwd);
  });

  it("works a Code task: edits with apply_patch, runs the tests in the sandbox, stores the diff", async () => {
    const { task, attempts } = await newTask("Make greet trim the name before greeting");
    const attempt = await finished(attempts[0].id);
    expect(attempt.errorMessage).toBeNull();
    expect(attempt.status).toBe("succeeded");
    expect(attempt.diff).toContain("+  return \"Hello, \" + name.trim() + \"!\";");
    expect(attempt.diff).toContain("diff --git a/src/greet.js b/src/greet.js");
    expect(attempt.diffStats).toEqual({ files: 1, additions: 1, deletions: 1 });
    expect(attempt.baseCommit).toMatch(/^[0-9a-f]{40}$/);

    const events = await listAttemptEvents(handle.db, attempt.id);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const testRun = events.find((e) => e.type === "command" && e.payload.phase === "start" && JSON.stringify(e.payload.argv).includes("test/run.js"));
    expect(testRun).toBeDefined();
    const end = events.find((e) => e.type === "command" && e.payload.phase === "end" && e.payload.chunkId === testRun!.payload.chunkId);
    expect(end?.payload.exitCode).toBe(0);
    const log = events.filter((e) => e.type === "log" && e.payload.chunkId === testRun!.payload.chunkId).map((e) => e.payload.text).join("");
    expect(log).toContain("all tests passed");
    expect(events.some((e) => e.type === "plan")).toBe(true);
    expect(events.some((e) => e.type === "patch")).toBe(true);
    const message = events.find((e) => e.type === "message");
    expect(String(message?.payload.text)).toMatch(/## Summary[\s\S]*【F:src\/greet\.js†L\d+(-L\d+)?】/);
    // The task follows its attempts right after the attempt's own row.
    await waitFor(async () => (await findTask(handle.db, task.id))?.status === "succeeded", 5_000, "the task to follow");
    expect(attempt.inputTokens).toBeGreaterThan(0);
    // Summed per person (the fake model has no price: the cost is unknown, not zero).
    const usage = await usageOfOwner(handle.db, userId, null);
    expect(usage.inputTokens).toBeGreaterThanOrEqual(attempt.inputTokens);
    expect(usage.costUsd).toBeNull();
    // What the diff shows is the snapshot in the host repository; the checkout itself is gone.
    expect(attempt.snapshotCommit).toMatch(/^[0-9a-f]{40}$/);
    const shown = execFileSync("git", ["--git-dir", `${attempt.workspacePath}/host.git`, "diff", "--binary", "--find-renames", attempt.baseCommit!, attempt.snapshotCommit!], { encoding: "utf8" });
    expect(shown).toBe(attempt.diff);
    expect(fs.readdirSync(attempt.workspacePath!)).toEqual(["host.git"]);
  });

  it("continues a follow-up from the previous turn's snapshot: the diff holds both turns", async () => {
    const { task, attempts } = await newTask("Make greet trim the name before greeting (turn one)");
    const first = await finished(attempts[0].id);
    expect(first.status).toBe("succeeded");
    await addFollowUp({ userId, taskId: task.id, prompt: "Also make sum ignore non-numbers" });
    const second = await waitFor(async () => {
      const a = await findAttempt(handle.db, attempts[0].id);
      return a && a.turn === 1 && FINAL.includes(a.status) ? a : null;
    }, 60_000, "the follow-up to finish");
    expect(second.errorMessage).toBeNull();
    expect(second.status).toBe("succeeded");
    expect(second.diff).toContain("name.trim()");
    expect(second.diff).toContain('typeof n === "number"');
    expect(second.diffStats?.files).toBe(2);
    expect(second.snapshotCommit).not.toBe(first.snapshotCommit);
    expect(fs.readdirSync(second.workspacePath!)).toEqual(["host.git"]);
  });

  it.skipIf(process.getuid?.() !== 0)("shares the repository's checkout read-only between attempts, and moves it when the base commit moves", async () => {
    const first = await finished((await newTask("Make greet trim the name (base cache 1)")).attempts[0].id);
    const second = await finished((await newTask("Make greet trim the name (base cache 2)")).attempts[0].id);
    expect(second.diff).toBe(first.diff);
    const baseEntries = fs.readdirSync(`${config.dataDir}/cache/base`);
    expect(baseEntries.length).toBeGreaterThanOrEqual(1);
    const before = baseEntries.length;
    fakeRepo(stack).commit("main", `docs/moved-${kind}.md`, "moved\n", "Another commit on main");
    const { attempts } = await newTask("Make greet trim the name (base moved)");
    const moved = await finished(attempts[0].id);
    expect(moved.status).toBe("succeeded");
    expect(moved.diff).toBe(first.diff);
    const events = await listAttemptEvents(handle.db, moved.id);
    expect(events.map((e) => String(e.payload.text ?? "")).join("")).toMatch(/over the checkout of [0-9a-f]{7}/);
    expect(fs.readdirSync(`${config.dataDir}/cache/base`).length).toBe(before);
  });

  it("gives exec_command sessions a live stdin inside the sandbox: what the agent types reaches the command", async () => {
    const { attempts } = await newTask("[scenario:exec-stdin] read a line");
    const attempt = await finished(attempts[0].id);
    expect(attempt.errorMessage).toBeNull();
    const events = await listAttemptEvents(handle.db, attempt.id);
    const logs = events.filter((e) => e.type === "log");
    expect(logs.some((e) => e.payload.stream === "stdin" && String(e.payload.text).includes("hello"))).toBe(true);
    expect(logs.map((e) => String(e.payload.text)).join("")).toContain("got: hello");
  });

  it("delivers a message sent while the agent works at its next step; the agent acknowledges it", async () => {
    const { task, attempts } = await newTask("[scenario:steerable] tick for a while");
    await logged(attempts[0].id, "tick 2");
    await steerAttempt({ userId, taskId: task.id, attemptId: attempts[0].id, text: "Also print the date at the end" });
    const attempt = await finished(attempts[0].id);
    expect(attempt.status).toBe("succeeded");
    expect(attempt.summary).toContain("Understood");
    const events = await listAttemptEvents(handle.db, attempt.id);
    const steer = events.findIndex((e) => e.type === "steer");
    expect(events[steer]?.payload.text).toBe("Also print the date at the end");
    // It landed after the command it arrived during, before the answer to it.
    const commandEnd = events.findIndex((e) => e.type === "command" && e.payload.phase === "end");
    const message = events.findIndex((e) => e.type === "message");
    expect(commandEnd).toBeLessThan(steer);
    expect(steer).toBeLessThan(message);
    await expect(steerAttempt({ userId, taskId: task.id, attemptId: attempt.id, text: "too late" })).rejects.toMatchObject({ code: "not_working" });
  });

  it("still delivers a message whose notification was lost: the runner's heartbeat finds it", async () => {
    // The slow command is the second step: the agent has looked at its (empty) steer queue once already.
    const { task, attempts } = await newTask("[scenario:steerable-late] tock for a while");
    await logged(attempts[0].id, "tock 2");
    // Written as the steer route does, but without its notification.
    await insertSteerMessage(handle.db, { taskId: task.id, attemptId: attempts[0].id, turn: 0, text: "Also print the date at the end" });
    const attempt = await finished(attempts[0].id);
    expect(attempt.summary).toContain("Understood");
    const events = await listAttemptEvents(handle.db, attempt.id);
    expect(events.find((e) => e.type === "steer")?.payload.text).toBe("Also print the date at the end");
  });

  it("sends the images attached to a prompt to the model as image input, and refuses someone else's image", async () => {
    // A 1x1 PNG.
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const image = await uploadImage({ userId, data: png });
    expect(image.mime).toBe("image/png");
    await expect(uploadImage({ userId, data: Buffer.from("<svg onload=alert(1)>").toString("base64") })).rejects.toMatchObject({ code: "bad_image" });
    const { attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: userId, repoFullName: "acme/widgets", baseBranch: "main", mode: "ask", title: "image", prompt: "What is in this picture? [image-test]", attemptsCount: 1, imageIds: [image.id],
    });
    await handle.notify("patchbay_jobs", "");
    const attempt = await finished(attempts[0].id);
    expect(attempt.status).toBe("succeeded");
    const sent = stack.model.received.filter((r) => JSON.stringify(r.body).includes("[image-test]"));
    expect(sent.length).toBeGreaterThan(0);
    expect(JSON.stringify(sent[0].body)).toContain(`data:image/png;base64,${png}`);
    // Attached once: a second task cannot take the same upload, nor another person's.
    const [mallory] = await handle.db.insert(users).values({ name: "Mallory" }).returning();
    const theirs = await uploadImage({ userId: mallory.id, data: png });
    for (const imageIds of [[image.id], [theirs.id]]) {
      await expect(
        insertTaskWithJobs(handle.db, { ownerId: userId, repoFullName: "acme/widgets", baseBranch: "main", mode: "ask", title: "x", prompt: "x", attemptsCount: 1, imageIds }),
      ).rejects.toBeInstanceOf(ImageAttachError);
    }
  });

  it("answers an Ask task with file citations, changes nothing and keeps no checkout", async () => {
    const { attempts } = await newTask("How does sum work?", "ask");
    const attempt = await finished(attempts[0].id);
    expect(attempt.status).toBe("succeeded");
    expect(attempt.summary).toMatch(/【F:src\/sum\.js†L\d+/);
    expect(attempt.diff).toBeNull();
    expect(attempt.snapshotCommit).toBeNull();
    // The turn's volume (checkout, git dir, /tmp) is gone; only Patchbay's host repository stays.
    expect(fs.readdirSync(attempt.workspacePath!)).toEqual(["host.git"]);
    expect(fs.readFileSync("/proc/mounts", "utf8")).not.toContain(attempt.id);
  });

  it("denies writes in an Ask task", async () => {
    const { attempts } = await newTask("[scenario:write-in-ask] can you write?", "ask");
    const attempt = await finished(attempts[0].id);
    const events = await listAttemptEvents(handle.db, attempt.id);
    const end = events.find((e) => e.type === "command" && e.payload.phase === "end");
    expect(end?.payload.exitCode).not.toBe(0);
    expect(fs.existsSync(`${attempt.workspacePath}/tree/hacked.txt`)).toBe(false);
  });

  it("runs Best-of-N attempts independently", async () => {
    const { task, attempts } = await newTask("Make greet trim the name", "code", 3);
    const done = await Promise.all(attempts.map((a) => finished(a.id)));
    expect(done.map((a) => a.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(new Set(done.map((a) => a.workspacePath)).size).toBe(3);
    for (const a of done) expect(a.diff).toContain("name.trim()");
    expect((await listAttempts(handle.db, task.id)).map((a) => a.index)).toEqual([0, 1, 2]);
  });

  it("cancels a running attempt within a second, keeping its log", async () => {
    const { task, attempts } = await newTask("[scenario:slow] count slowly");
    await waitFor(async () => {
      const events = await listAttemptEvents(handle.db, attempts[0].id);
      return events.some((e) => e.type === "log" && String(e.payload.text).includes("step 2"));
    }, 30_000, "the slow command's output");
    const asked = Date.now();
    await cancelTask({ userId, taskId: task.id });
    const attempt = await finished(attempts[0].id);
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(attempt.status).toBe("cancelled");
    const events = await listAttemptEvents(handle.db, attempt.id);
    expect(events.some((e) => e.type === "log" && String(e.payload.text).includes("step 1"))).toBe(true);
    expect(events.some((e) => e.type === "log" && String(e.payload.text).includes("step 40"))).toBe(false);
    await waitFor(async () => (await findTask(handle.db, task.id))?.status === "cancelled", 5_000, "the task to follow");
  });

  it("fails an attempt with a clear message when the model server errors", async () => {
    const { attempts } = await newTask("[scenario:model-error] anything");
    const attempt = await finished(attempts[0].id);
    expect(attempt.status).toBe("failed");
    expect(attempt.errorCode).toBe("model_unavailable");
    expect(attempt.errorMessage).not.toContain("sk-test");
  });
});
