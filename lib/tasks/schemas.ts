import { z } from "zod";
import { text } from "@/lib/text";

export const repoFullName = text()
  .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, "must look like owner/name");

// A git branch name as git check-ref-format would take it, kept conservative.
export const branchName = text()
  .min(1)
  .max(200)
  .regex(/^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*\/$|-)[^\0-\x20~^:?*[\\\x7f]+$/, "is not a valid branch name");

export const createTaskInput = z.object({
  repo: repoFullName,
  branch: branchName,
  mode: z.enum(["code", "ask"]),
  prompt: text().trim().min(1, "is empty").max(20_000, "is longer than 20,000 characters"),
  attempts: z.number().int().min(1).max(4).default(1),
});
export type CreateTaskInput = z.infer<typeof createTaskInput>;

export const followUpInput = z.object({
  prompt: text().trim().min(1, "is empty").max(20_000, "is longer than 20,000 characters"),
});

export const taskIdParam = z.object({ id: z.string().uuid("is not a task id") });
