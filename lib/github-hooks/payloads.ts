import { z } from "zod";

/** The parts of GitHub's webhook payloads Patchbay reads (everything else is ignored). */

const account = z.object({ login: z.string(), id: z.number().int(), type: z.string().optional().default("User") });

const repository = z.object({
  id: z.number().int(),
  full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
  default_branch: z.string().optional().default("main"),
  html_url: z.string().optional(),
});

export const issueCommentEvent = z.object({
  action: z.string(),
  issue: z.object({
    number: z.number().int().positive(),
    title: z.string().default(""),
    body: z.string().nullable().optional(),
    html_url: z.string(),
    state: z.string().optional(),
    pull_request: z.object({ url: z.string().optional() }).passthrough().nullable().optional(),
  }),
  comment: z.object({
    id: z.number().int(),
    body: z.string().nullable().transform((b) => b ?? ""),
    html_url: z.string(),
    created_at: z.string().optional(),
    user: account,
  }),
  repository,
  sender: account,
  installation: z.object({ id: z.number().int() }).optional(),
});
export type IssueCommentEvent = z.infer<typeof issueCommentEvent>;

const ref = z.object({
  ref: z.string(),
  sha: z.string(),
  repo: z.object({ id: z.number().int(), full_name: z.string() }).nullable().optional(),
});

export const pullRequestEvent = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    number: z.number().int().positive(),
    title: z.string().default(""),
    body: z.string().nullable().optional(),
    html_url: z.string(),
    state: z.string(),
    updated_at: z.string().optional(),
    head: ref,
    base: ref,
  }),
  requested_reviewer: account.optional(),
  repository,
  sender: account,
});
export type PullRequestEvent = z.infer<typeof pullRequestEvent>;

/** What the pulls API answers (GET /repos/{o}/{r}/pulls/{n}), the parts read. */
export const pullRequest = z.object({
  number: z.number().int(),
  title: z.string().default(""),
  body: z.string().nullable().optional(),
  html_url: z.string(),
  state: z.string(),
  merged: z.boolean().nullable().optional(),
  head: ref,
  base: ref,
});
export type PullRequest = z.infer<typeof pullRequest>;
