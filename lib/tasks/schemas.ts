import { z } from "zod";
import { ENGINE_NAMES } from "@/lib/engines/names";
import { text } from "@/lib/text";

export const repoFullName = text()
  .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, "must look like owner/name");

// A git branch name as git check-ref-format would take it, kept conservative.
export const branchName = text()
  .min(1)
  .max(200)
  .regex(/^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*\/$|-)[^\0-\x20~^:?*[\\\x7f]+$/, "is not a valid branch name");

/** Uploaded images (POST /api/images) attached to a prompt or follow-up. */
export const MAX_IMAGES_PER_TURN = 4;
const imageIds = z.array(z.string().uuid("is not an image id")).max(MAX_IMAGES_PER_TURN, `at most ${MAX_IMAGES_PER_TURN} images`);

export const createTaskInput = z.object({
  repo: repoFullName,
  branch: branchName,
  mode: z.enum(["code", "ask"]),
  prompt: text().trim().min(1, "is empty").max(20_000, "is longer than 20,000 characters"),
  attempts: z.number().int().min(1).max(4).default(1),
  images: imageIds.optional(),
  /** Who works the task: the Patchbay agent, Codex CLI or Claude Code. Absent: the repository's environment's, else the server's default. */
  engine: z.enum(ENGINE_NAMES).optional(),
});
export type CreateTaskInput = z.infer<typeof createTaskInput>;

export const followUpInput = z.object({
  prompt: text().trim().min(1, "is empty").max(20_000, "is longer than 20,000 characters"),
  images: imageIds.optional(),
  /** The attempt to continue: the one on screen. Absent: the chosen attempt (and no attempt may be working). */
  attemptId: z.string().uuid("is not an attempt id").optional(),
});

/** Retry: a new attempt of the task from its first prompt; `retryOf` names the attempt it retries. */
export const retryInput = z.object({ retryOf: z.string().uuid("is not an attempt id").optional() }).strict();

export const taskIdParam = z.object({ id: z.string().uuid("is not a task id") });

/** Stop: the attempt named (the one on screen), or every attempt still working. */
export const cancelInput = z.object({ attemptId: z.string().uuid("is not an attempt id").optional() }).strict();

/** A message to the attempt on screen while its agent works (steering). */
export const steerInput = z.object({
  attemptId: z.string().uuid("is not an attempt id"),
  text: text().trim().min(1, "is empty").max(4_000, "is longer than 4,000 characters"),
});

export const attemptParams = z.object({ id: z.string().uuid("is not a task id"), attemptId: z.string().uuid("is not an attempt id") });

export const patchTaskInput = z
  .object({ archived: z.boolean().optional(), chosenAttemptId: z.string().uuid().optional() })
  .refine((b) => b.archived !== undefined || b.chosenAttemptId !== undefined, "nothing to change");

export const pullRequestInput = z
  .object({
    draft: z.boolean().optional(),
    /** The attempt whose changes go in: the one on screen. Absent: the chosen attempt (or the PR's own, to update it). */
    attemptId: z.string().uuid("is not an attempt id").optional(),
    /** The branch the new pull request merges into (default: the task's branch). Ignored once the PR exists. */
    base: branchName.optional(),
  })
  .strict();

export const attemptFileQuery = z.object({ path: text().min(1, "is empty").max(1000) });

export const diffQuery = z.object({ download: z.enum(["0", "1"]).optional() });

const eventCursor = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const eventsQuery = z.object({
  /** The id of the last event already seen (the Last-Event-ID header wins when both are sent). */
  after: eventCursor.optional(),
  /** 0: send the events recorded so far, then end the stream (default 1: stay open and send new events live). */
  follow: z.enum(["0", "1"]).optional(),
});

export const lastEventId = eventCursor;
