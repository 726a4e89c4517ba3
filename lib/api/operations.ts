import "server-only";
import { z, type ZodObject, type ZodType } from "zod";
import type { ApiScope } from "@/lib/auth/scopes";
import { boardQuery } from "@/lib/tasks/list";
import {
  attemptFileQuery,
  attemptParams,
  cancelInput,
  createTaskInput,
  diffQuery,
  eventsQuery,
  followUpInput,
  lastEventId,
  patchTaskInput,
  pullRequestInput,
  retryInput,
  steerInput,
  taskIdParam,
} from "@/lib/tasks/schemas";
import * as out from "./schemas";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type ResponseSpec = { description: string; schema?: ZodType; contentType?: string };

/**
 * One operation of the API: what the route handler validates (params, query, body — the very schemas it parses
 * with, see lib/api/route.ts), the scope a token needs, and what it answers. The OpenAPI document is built from
 * these, and a test checks that every route file under app/api/tasks exports exactly the operations listed here.
 */
export type Operation = {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template: `/api/tasks/{id}`. */
  path: string;
  summary: string;
  description?: string;
  /** What a personal access token needs; null: any valid token. A session may do everything. */
  scope: ApiScope | null;
  params?: ZodObject;
  query?: ZodObject;
  body?: ZodType;
  headers?: { name: string; description: string; schema: ZodType }[];
  responses: Record<number, ResponseSpec>;
  /** Answers with a stream of server-sent events. */
  stream?: boolean;
};

const op = <const T extends Operation>(o: T): T => o;

export const operations = {
  listTasks: op({
    operationId: "listTasks",
    method: "GET",
    path: "/api/tasks",
    summary: "List tasks",
    description: "A page of your tasks, newest first. Follow `nextCursor` for the next page.",
    scope: "tasks:read",
    query: boardQuery,
    responses: { 200: { description: "A page of tasks.", schema: out.taskList } },
  }),
  createTask: op({
    operationId: "createTask",
    method: "POST",
    path: "/api/tasks",
    summary: "Create a task",
    description:
      "Queues a Code or Ask task on a repository the GitHub App can reach for you, with 1–4 independent attempts. Nothing runs inside the request: follow its events to watch it.",
    scope: "tasks:write",
    body: createTaskInput,
    responses: { 201: { description: "The task, queued.", schema: out.createdTask } },
  }),
  listTaskRepos: op({
    operationId: "listTaskRepos",
    method: "GET",
    path: "/api/tasks/repos",
    summary: "Repositories of your tasks",
    scope: "tasks:read",
    responses: { 200: { description: "Repository full names, for filtering the list.", schema: out.taskRepos } },
  }),
  getTask: op({
    operationId: "getTask",
    method: "GET",
    path: "/api/tasks/{id}",
    summary: "Get a task",
    description: "The task, its attempts and its turns (the prompt and follow-ups).",
    scope: "tasks:read",
    params: taskIdParam,
    responses: { 200: { description: "The task.", schema: out.taskDetail } },
  }),
  updateTask: op({
    operationId: "updateTask",
    method: "PATCH",
    path: "/api/tasks/{id}",
    summary: "Archive or unarchive a task, or choose its attempt",
    scope: "tasks:write",
    params: taskIdParam,
    body: patchTaskInput,
    responses: { 200: { description: "The task after the change.", schema: out.taskDetail } },
  }),
  deleteTask: op({
    operationId: "deleteTask",
    method: "DELETE",
    path: "/api/tasks/{id}",
    summary: "Delete a task",
    description: "Deletes the task, its attempts, its log and its workspaces. A pull request on GitHub stays.",
    scope: "tasks:write",
    params: taskIdParam,
    responses: { 204: { description: "Deleted." } },
  }),
  cancelTask: op({
    operationId: "cancelTask",
    method: "POST",
    path: "/api/tasks/{id}/cancel",
    summary: "Stop a task, or one of its attempts",
    description: "Without a body, every attempt still working is stopped; with `attemptId`, only that attempt (the others keep working).",
    scope: "tasks:write",
    params: taskIdParam,
    body: cancelInput,
    responses: { 200: { description: "How many attempts were stopped.", schema: out.cancelResult } },
  }),
  taskEvents: op({
    operationId: "taskEvents",
    method: "GET",
    path: "/api/tasks/{id}/events",
    summary: "Stream a task's events",
    description:
      "Server-sent events: every event of every attempt, in order, from after `Last-Event-ID` (or `after`), then live. Each SSE `id` is the event's id; reconnect with it as `Last-Event-ID` to resume with no gap and no repeat. With `follow=0` the stream ends after the events recorded so far.",
    scope: "tasks:read",
    params: taskIdParam,
    query: eventsQuery,
    headers: [{ name: "Last-Event-ID", description: "Resume after this event id.", schema: lastEventId }],
    stream: true,
    responses: { 200: { description: "text/event-stream; each `data:` is one TaskEvent as JSON.", schema: out.taskEvent, contentType: "text/event-stream" } },
  }),
  addFollowUp: op({
    operationId: "addFollowUp",
    method: "POST",
    path: "/api/tasks/{id}/follow-ups",
    summary: "Send a follow-up",
    description:
      "Continues an attempt with a new turn: `attemptId` (the attempt you are looking at), else the chosen one. Only that attempt has to have finished; 409 `attempt_running` while it works (send it a message instead).",
    scope: "tasks:write",
    params: taskIdParam,
    body: followUpInput,
    responses: { 201: { description: "The attempt that continues and its new turn.", schema: out.followUpResult } },
  }),
  steerAttempt: op({
    operationId: "steerAttempt",
    method: "POST",
    path: "/api/tasks/{id}/messages",
    summary: "Send a message while the agent works",
    description: "Delivered to the named attempt's agent at its next step (between tool calls); 409 when it no longer works (send a follow-up).",
    scope: "tasks:write",
    params: taskIdParam,
    body: steerInput,
    responses: { 202: { description: "The message is queued for the agent's next step.", schema: out.steerResult } },
  }),
  retryAttempt: op({
    operationId: "retryAttempt",
    method: "POST",
    path: "/api/tasks/{id}/attempts",
    summary: "Retry: add an attempt",
    description:
      "A new attempt of the task from its first prompt, queued at once; `retryOf` names the attempt it retries (which stays as it was). At most 8 attempts per task.",
    scope: "tasks:write",
    params: taskIdParam,
    body: retryInput,
    responses: { 201: { description: "The new attempt, queued.", schema: out.retryResult } },
  }),
  taskListEvents: op({
    operationId: "taskListEvents",
    method: "GET",
    path: "/api/tasks/events",
    summary: "Stream changes of your tasks",
    description:
      "Server-sent events for the board: `ready` once listening (read the list then: changes before it are not replayed), then `tasks` with `{\"taskIds\": [...]}` whenever one of your tasks is created, starts, finishes, is stopped, archived, deleted or gets a pull request. Read the tasks again to see what changed.",
    scope: "tasks:read",
    stream: true,
    responses: { 200: { description: "text/event-stream of `ready` and `tasks` events.", contentType: "text/event-stream" } },
  }),
  getPullRequest: op({
    operationId: "getPullRequest",
    method: "GET",
    path: "/api/tasks/{id}/pr",
    summary: "The task's pull request",
    description: "Its state refreshed from GitHub; 404 when the task has none.",
    scope: "tasks:read",
    params: taskIdParam,
    responses: { 200: { description: "The pull request.", schema: out.pullRequest } },
  }),
  createPullRequest: op({
    operationId: "createPullRequest",
    method: "POST",
    path: "/api/tasks/{id}/pr",
    summary: "Create the pull request, or update its branch",
    description:
      "Commits exactly the attempt's diff (`attemptId`: the one you are looking at; else the chosen attempt) on its base commit, pushes the branch and opens the pull request into `base` (default: the task's branch); the attempt becomes the chosen one. When the task has a pull request already, pushes that attempt's new turns to its branch (Update branch); `push.message` says what happened.",
    scope: "pr:write",
    params: taskIdParam,
    body: pullRequestInput,
    responses: {
      200: { description: "The pull request.", schema: out.pullRequest },
      409: { description: "The branch moved on GitHub in a way that conflicts, or the task is still running.", schema: out.errorBody },
    },
  }),
  getAttemptDiff: op({
    operationId: "getAttemptDiff",
    method: "GET",
    path: "/api/tasks/{id}/attempts/{attemptId}/diff",
    summary: "An attempt's diff",
    description: "The unified diff against the attempt's base commit, ready for `git apply`.",
    scope: "tasks:read",
    params: attemptParams,
    query: diffQuery,
    responses: { 200: { description: "The patch (empty when nothing changed).", schema: z.string(), contentType: "text/x-diff" } },
  }),
  getAttemptFile: op({
    operationId: "getAttemptFile",
    method: "GET",
    path: "/api/tasks/{id}/attempts/{attemptId}/file",
    summary: "A file of an attempt",
    description: "A file as the attempt left it (Code) or as the base commit has it (Ask).",
    scope: "tasks:read",
    params: attemptParams,
    query: attemptFileQuery,
    responses: { 200: { description: "The file.", schema: out.attemptFile } },
  }),
  getToken: op({
    operationId: "getToken",
    method: "GET",
    path: "/api/token",
    summary: "Who am I",
    description: "The person and the token behind this request, and what is left of its rate limit. Takes any valid token.",
    scope: null,
    responses: { 200: { description: "The caller.", schema: out.tokenInfo } },
  }),
} satisfies Record<string, Operation>;

export const operationList: Operation[] = Object.values(operations);
