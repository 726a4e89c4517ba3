import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openPglite, type DbHandle } from "@/db/client";
import { insertEvents, listAttemptEvents } from "@/db/queries/events";
import { insertTaskWithJobs, updateAttempt } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { taskEventStream } from "@/lib/events/stream";
import { AttemptEventWriter } from "@/lib/events/writer";
import { getTaskDetail } from "@/lib/tasks/detail";
import { readSse } from "@/tests/helpers/sse";
import { setProcessDb } from "@/tests/helpers/stack";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http";
import { publicMessage, scrubHostPaths } from "@/lib/public-message";

const body = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe("no error shown to a person contains a host path", () => {
  it("absolute paths become <server path>, quoted or bare, with spaces inside quotes", () => {
    expect(scrubHostPaths("ENOENT: no such file or directory, realpath '/tmp/patchbay-e2e-x1/workspaces/3f2a/tree'")).toBe(
      "ENOENT: no such file or directory, realpath '<server path>'",
    );
    expect(scrubHostPaths('EACCES: permission denied, open "/home/my user/.data/pgdata/x"')).toBe('EACCES: permission denied, open "<server path>"');
    expect(scrubHostPaths("cannot read /work/main/.data/workspaces/a/tree/src/x.ts (gone)")).toBe("cannot read <server path> (gone)");
    expect(scrubHostPaths("at=/var/lib/patchbay/mirrors/acme/widgets.git;")).toBe("at=<server path>;");
  });

  it("keeps what a person needs: URLs, repository names, relative paths, branches", () => {
    for (const message of [
      "Install the App at https://github.com/apps/patchbay/installations/new first.",
      "acme/widgets is not among the repositories the GitHub App can reach for you.",
      "refusing to touch src/.git/config: .git is managed by the platform",
      "Pushing patchbay/fix-greet-1a2b to acme/widgets failed. Try again.",
      "cost 3/4 of the budget",
    ]) {
      expect(scrubHostPaths(message), message).toBe(message);
    }
  });

  it("SQL and query parameters never reach a person", () => {
    expect(publicMessage('could not save: Failed query: insert into "tasks" ("prompt") values ($1)\nparams: secret-prompt')).toBe("could not save:");
    expect(publicMessage("Failed query: select 1\nparams: x")).toBe("The database refused the request.");
  });

  it("errorResponse scrubs AppError messages built from another error's message", async () => {
    const fsError = "ENOENT: no such file or directory, realpath '/tmp/patchbay-e2e-abc/workspaces/9/tree'";
    const res = errorResponse(new AppError("file_unreadable", `That file cannot be shown: ${fsError}`, 400));
    expect(res.status).toBe(400);
    const error = await body(res);
    expect(error).toEqual({ code: "file_unreadable", message: "That file cannot be shown: ENOENT: no such file or directory, realpath '<server path>'" });
    expect(JSON.stringify(error)).not.toMatch(/\/tmp|patchbay-e2e/);
  });

  it("an attempt's failure, on the task page and in its event stream, shows no host path or SQL", async () => {
    const handle = await openPglite("memory");
    try {
      setProcessDb(handle);
      const [user] = await handle.db.insert(users).values({ name: "alice" }).returning();
      const { task, attempts } = await insertTaskWithJobs(handle.db, {
        ownerId: user.id,
        repoFullName: "acme/widgets",
        baseBranch: "main",
        mode: "code",
        title: "t",
        prompt: "p",
        attemptsCount: 1,
      });
      const raw =
        "The runner hit an unexpected error: ENOENT: no such file or directory, open '/tmp/patchbay-e2e-q1/workspaces/a1/tree/x' " +
        'Failed query: update "attempts" set "summary" = $1\nparams: sk-secret';
      await updateAttempt(handle.db, attempts[0].id, { status: "failed", errorCode: "internal", errorMessage: raw });
      await insertEvents(handle.db, task.id, [{ taskId: task.id, attemptId: attempts[0].id, seq: 1, turn: 0, type: "error", payload: { code: "internal", message: raw } }]);
      const expected = "The runner hit an unexpected error: ENOENT: no such file or directory, open '<server path>'";

      const detail = await getTaskDetail({ userId: user.id, taskId: task.id });
      expect(detail.attempts[0].errorMessage).toBe(expected);
      const controller = new AbortController();
      const events = await readSse(await taskEventStream({ taskId: task.id, afterId: 0, signal: controller.signal }), (e) => e.length >= 1);
      controller.abort();
      expect((events[0].data.payload as { message: string }).message).toBe(expected);
    } finally {
      await handle.close();
    }
  });

  it("an unexpected error is a 500 with a generic message and no detail", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = errorResponse(new Error("EACCES /work/main/.data/secret-file"));
    expect(res.status).toBe(500);
    const error = await body(res);
    expect(error).toEqual({ code: "internal", message: "Something went wrong on our side. Try again." });
    spy.mockRestore();
  });
});

describe("PostgreSQL never sees a NUL", () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await openPglite("memory");
  });
  afterAll(async () => handle?.close());

  it("unvalidated text with a NUL would make the driver throw; the API answers 400, not 500", async () => {
    const err = await handle.db
      .insert(users)
      .values({ name: "alice\u0000" })
      .then(() => null, (e: unknown) => e);
    // What the schemas now refuse before it gets here: the database cannot store NUL in text.
    expect((err as { cause?: { code?: string } }).cause?.code).toBe("22021");
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = errorResponse(err);
    spy.mockRestore();
    expect(res.status).toBe(400);
    expect(await body(res)).toEqual({
      code: "bad_request",
      message: "The request contains a value that cannot be stored (for example text with a NUL byte).",
    });
  });

  it("a NUL a command prints (or an unpaired surrogate the model sends) is stored as U+FFFD; no event is lost", async () => {
    const [user] = await handle.db.insert(users).values({ name: "alice" }).returning();
    const { task, attempts } = await insertTaskWithJobs(handle.db, {
      ownerId: user.id,
      repoFullName: "acme/widgets",
      baseBranch: "main",
      mode: "code",
      title: "t",
      prompt: "p",
      attemptsCount: 1,
    });
    const writer = await AttemptEventWriter.open(handle, { taskId: task.id, attemptId: attempts[0].id, turn: 0 });
    const spy = vi.spyOn(console, "error");
    await writer.append("log", { text: "find -print0: a\u0000b\u0000", chunkId: "c1", stream: "stdout" });
    await writer.append("message_delta", { text: "half an emoji \ud83d" });
    await writer.append("status", { status: "running" });
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    const rows = await listAttemptEvents(handle.db, attempts[0].id);
    expect(rows.map((r) => [r.type, r.payload.text ?? r.payload.status])).toEqual([
      ["log", "find -print0: a\ufffdb\ufffd"],
      ["message_delta", "half an emoji \ufffd"],
      ["status", "running"],
    ]);
  });
});
