import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { attempts, jobs, turns } from "@/db/schema";
import type { TestStack } from "../helpers/stack";

/** Git on the fake GitHub's bare repository (what GitHub "has"). */
export function fakeRepo(stack: TestStack, fullName = "acme/widgets") {
  const [owner, name] = fullName.split("/");
  const repo = stack.github.state.findRepo(owner, name);
  if (!repo) throw new Error(`no fake repo ${fullName}`);
  const git = (args: string[], input?: string, env: Record<string, string> = {}) =>
    execFileSync("git", ["-c", "safe.directory=*", "--git-dir", repo.dir, ...args], {
      encoding: "utf8",
      input,
      env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", ...env },
    });
  return {
    dir: repo.dir,
    git,
    sha: (rev: string) => git(["rev-parse", "--verify", "-q", rev]).trim(),
    has: (branch: string) => {
      try {
        git(["rev-parse", "--verify", "-q", `refs/heads/${branch}`]);
        return true;
      } catch {
        return false;
      }
    },
    /** A commit by someone else on `branch` that writes `content` to `file`. */
    commit(branch: string, file: string, content: string, message = "Someone else's change") {
      const index = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pr-index-")), "index");
      const env = {
        GIT_INDEX_FILE: index,
        GIT_AUTHOR_NAME: "Mallory",
        GIT_AUTHOR_EMAIL: "mallory@example.com",
        GIT_COMMITTER_NAME: "Mallory",
        GIT_COMMITTER_EMAIL: "mallory@example.com",
      };
      const parent = git(["rev-parse", `refs/heads/${branch}`]).trim();
      git(["read-tree", parent], undefined, env);
      const blob = git(["hash-object", "-w", "--stdin"], content, env).trim();
      git(["update-index", "--add", "--cacheinfo", `100644,${blob},${file}`], undefined, env);
      const tree = git(["write-tree"], undefined, env).trim();
      const sha = git(["commit-tree", tree, "-p", parent, "-m", message], undefined, env).trim();
      git(["update-ref", `refs/heads/${branch}`, sha, parent]);
      fs.rmSync(path.dirname(index), { recursive: true, force: true });
      return sha;
    },
  };
}

/** The fake GitHub's control API. */
export async function fakeControl(stack: TestStack, method: string, route: string, body?: unknown) {
  const res = await fetch(`${stack.github.url}/_fake/${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fake ${method} ${route}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

export const addFault = (stack: TestStack, fault: { method?: string; path: string; status: number; body?: unknown; times?: number }) =>
  fakeControl(stack, "POST", "faults", fault);
export const clearFaults = (stack: TestStack) => fakeControl(stack, "DELETE", "faults");

/**
 * What the product's follow-up does (lib/tasks/follow-up.ts): a new turn and a queued job for the chosen attempt.
 * Written here so these tests do not depend on that module.
 */
export async function enqueueFollowUp(handle: DbHandle, opts: { taskId: string; attemptId: string; ownerId: string; seq: number; prompt: string }) {
  await handle.db.insert(turns).values({ taskId: opts.taskId, seq: opts.seq, prompt: opts.prompt });
  await handle.db
    .update(attempts)
    .set({ status: "queued", finishedAt: null, errorCode: null, errorMessage: null })
    .where(and(eq(attempts.id, opts.attemptId)));
  await handle.db.insert(jobs).values({ attemptId: opts.attemptId, taskId: opts.taskId, ownerId: opts.ownerId, turn: opts.seq });
  await handle.notify("patchbay_jobs", "");
}

/** Rejects with the AppError a call threw, for `expect(await errorOf(...)).toMatchObject({code})`. */
export async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string; status: number; action?: { href: string } }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string; status: number };
  }
  throw new Error("expected an error");
}
