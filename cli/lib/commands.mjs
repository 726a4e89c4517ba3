import { Api } from "./api.mjs";
import { configPath, credentials, normalizeUrl, readConfig, removeConfig, writeConfig } from "./config.mjs";
import { CliError, EXIT, usage } from "./errors.mjs";
import { applyPatch, detectCheckout, requireCheckout } from "./git.mjs";
import { ago, LogPrinter, painter, shortId, stats, statusColor, TERMINAL } from "./render.mjs";
import { readTaskEvents } from "./sse.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * @typedef {{
 *   out: NodeJS.WritableStream & { isTTY?: boolean }, err: NodeJS.WritableStream & { isTTY?: boolean },
 *   stdin: NodeJS.ReadableStream & { isTTY?: boolean, setRawMode?: (on: boolean) => void },
 *   env: NodeJS.ProcessEnv, cwd: string, json: boolean, signal?: AbortSignal,
 * }} Ctx
 */

const apiFor = (ctx) => new Api(credentials(ctx.env));

const printJson = (ctx, value) => ctx.out.write(JSON.stringify(value, null, 2) + "\n");

function note(ctx, text) {
  ctx.err.write(painter(ctx.err, ctx.env).dim(text) + "\n");
}

function warn(ctx, text) {
  ctx.err.write(painter(ctx.err, ctx.env).yellow(`warning: ${text}`) + "\n");
}

async function readAll(stream) {
  let text = "";
  stream.setEncoding?.("utf8");
  for await (const chunk of stream) text += chunk;
  return text;
}

/** Asks on the terminal; with `hidden` the answer is not echoed (a token). */
function ask(ctx, question, { hidden = false } = {}) {
  return new Promise((resolve, reject) => {
    const { stdin, err } = ctx;
    err.write(question);
    if (!stdin.isTTY || !stdin.setRawMode) {
      reject(usage("No terminal to ask on: pass the answer as an option (see `patchbay login --help`)."));
      return;
    }
    let answer = "";
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.resume();
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          done();
          resolve(answer);
          return;
        }
        if (ch === "\u0003") {
          done();
          reject(new CliError("Cancelled.", EXIT.USAGE, { code: "cancelled" }));
          return;
        }
        if (ch === "\u007f" || ch === "\b") {
          if (answer) {
            answer = answer.slice(0, -1);
            if (!hidden) err.write("\b \b");
          }
          continue;
        }
        answer += ch;
        if (!hidden) err.write(ch);
      }
    };
    const done = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      err.write("\n");
    };
    stdin.on("data", onData);
  });
}

// ---------- login, logout, whoami ----------

export async function login(ctx, { values }) {
  const saved = readConfig(ctx.env);
  let url = values.url;
  if (!url) {
    if (ctx.stdin.isTTY && !values["with-token"]) {
      const def = saved.url ?? "http://localhost:3000";
      url = (await ask(ctx, `Patchbay URL [${def}]: `)).trim() || def;
    } else url = saved.url;
  }
  if (!url) throw usage("Which Patchbay? Pass --url https://patchbay.example.com.");
  url = normalizeUrl(url);

  let token;
  if (values["with-token"]) token = (await readAll(ctx.stdin)).trim();
  else if (ctx.stdin.isTTY) {
    ctx.err.write(`Create a token at ${url}/settings/tokens, then paste it here.\n`);
    token = (await ask(ctx, "Token: ", { hidden: true })).trim();
  } else throw usage("Pass --with-token and the token on standard input, e.g. `patchbay login --url … --with-token < token.txt`.");
  if (!/^pbt_\S+$/.test(token)) throw usage("That is not a Patchbay API token: they start with pbt_. Create one under Settings → API tokens.");

  const info = await new Api({ url, token }).json("GET", "/api/token");
  const file = writeConfig({ url, token }, ctx.env);
  if (ctx.json) return printJson(ctx, { url, user: info.user, token: info.token, configPath: file });
  const t = info.token;
  ctx.out.write(
    `Logged in to ${url} as ${info.user.login ?? info.user.name ?? info.user.id} with the token "${t.name}" ` +
      `(${t.scopes.join(", ")}; expires ${t.expiresAt.slice(0, 10)}).\nSaved to ${file} (readable by you only).\n`,
  );
}

export async function logout(ctx) {
  const removed = removeConfig(ctx.env);
  if (ctx.json) return printJson(ctx, { loggedOut: removed, configPath: configPath(ctx.env) });
  ctx.out.write(
    removed
      ? `Logged out: removed ${configPath(ctx.env)}. The token itself stays valid until you revoke it under Settings → API tokens.\n`
      : "Not logged in.\n",
  );
}

export async function whoami(ctx) {
  const api = apiFor(ctx);
  const info = await api.json("GET", "/api/token");
  if (ctx.json) return printJson(ctx, { url: api.url, ...info });
  const t = info.token;
  ctx.out.write(`${info.user.login ?? info.user.name} on ${api.url}` + (t ? ` — token "${t.name}" (${t.scopes.join(", ")}; expires ${t.expiresAt.slice(0, 10)})` : "") + "\n");
  if (info.rateLimit) ctx.out.write(`Rate limit: ${info.rateLimit.remaining} of ${info.rateLimit.limit} requests left in the bucket.\n`);
}

// ---------- tasks ----------

/** A full task id, or the task whose id starts with this (at least 4 characters) among your recent tasks. */
async function resolveTaskId(api, raw) {
  const id = String(raw ?? "").trim().toLowerCase();
  if (!id) throw usage("Which task? Pass its id (the first characters are enough; see `patchbay list`).");
  if (UUID.test(id)) return id;
  if (!/^[0-9a-f-]{4,35}$/.test(id)) throw usage(`"${raw}" is not a task id.`);
  const matches = new Set();
  for (const tab of ["current", "archive"]) {
    let cursor;
    for (let page = 0; page < 3; page++) {
      const res = await api.json("GET", "/api/tasks", { query: { tab, limit: 100, cursor } });
      for (const t of res.tasks) if (t.id.startsWith(id)) matches.add(t.id);
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
  }
  if (matches.size === 1) return [...matches][0];
  if (matches.size === 0) throw new CliError(`No task of yours starts with ${id}.`, EXIT.NOT_FOUND, { code: "not_found" });
  throw usage(`Several tasks start with ${id}: ${[...matches].map(shortId).join(", ")}. Give more of the id.`);
}

const getDetail = (api, id) => api.json("GET", `/api/tasks/${id}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The attempt to show or apply: --attempt N (1-based), else the chosen one, the only one, the first that succeeded. */
function pickAttempt(detail, n) {
  const attempts = [...detail.attempts].sort((a, b) => a.index - b.index);
  if (n !== undefined) {
    const a = attempts.find((x) => x.index === n - 1);
    if (!a) throw new CliError(`Task ${shortId(detail.task.id)} has ${attempts.length} attempt${attempts.length === 1 ? "" : "s"}; there is no attempt ${n}.`, EXIT.NOT_FOUND, { code: "no_attempt" });
    return a;
  }
  const chosen = attempts.find((a) => a.id === detail.task.chosenAttemptId);
  if (chosen) return chosen;
  if (attempts.length === 1) return attempts[0];
  const ok = attempts.find((a) => a.status === "succeeded");
  if (ok) return ok;
  throw usage(`Task ${shortId(detail.task.id)} has ${attempts.length} attempts and none is chosen: pass --attempt 1…${attempts.length}.`);
}

function parseAttempt(value) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 4) throw usage("--attempt is a number from 1 to 4.");
  return n;
}

const finished = (detail) => detail.attempts.length > 0 && detail.attempts.every((a) => TERMINAL.has(a.status));

function exitFor(detail) {
  return detail.task.status === "succeeded" ? EXIT.OK : TERMINAL.has(detail.task.status) ? EXIT.TASK_FAILED : EXIT.OK;
}

/**
 * Prints the task's log from the start (or after `afterId`), live while it runs, and returns its final detail. The
 * stream resumes on its own after a dropped connection; once every attempt has finished, whatever was recorded
 * after the last status is read too, then it ends.
 */
async function followTask(ctx, api, taskId, { attempt, live }) {
  let detail = await getDetail(api, taskId);
  const filter = attempt === undefined ? null : pickAttempt(detail, attempt).id;
  const printer = new LogPrinter({ out: ctx.out, attempts: detail.attempts, attemptFilter: filter, env: ctx.env });
  const emit = (e) => {
    if (ctx.json) {
      if (!filter || e.attemptId === filter) ctx.out.write(JSON.stringify(e) + "\n");
    } else printer.print(e);
  };
  const follow = live && !finished(detail);
  const result = await readTaskEvents({
    api,
    taskId,
    follow,
    signal: ctx.signal,
    onEvent: async (e) => {
      emit(e);
      if (follow && e.type === "status" && TERMINAL.has(e.payload?.status)) {
        detail = await getDetail(api, taskId);
        if (finished(detail)) return "stop";
      }
      return undefined;
    },
    onReconnect: ({ lastId, delayMs, reason }) =>
      note(ctx, `… ${reason}; reconnecting in ${Math.round(delayMs / 100) / 10} s and resuming after event ${lastId}`),
    beforeReconnect: async () => {
      detail = await getDetail(api, taskId).catch(() => detail);
      return finished(detail) ? "stop" : undefined;
    },
  });
  if (follow && result.stopped && !ctx.signal?.aborted) {
    // Anything written between the last status and now (a final diff summary, usage).
    await readTaskEvents({ api, taskId, follow: false, afterId: result.lastId, onEvent: emit });
    // The task's own status follows its attempts' by a moment.
    for (let i = 0; i < 20 && !TERMINAL.has(detail.task.status); i++) {
      await sleep(100);
      detail = await getDetail(api, taskId);
    }
  }
  printer.end();
  return detail;
}

function summaryLine(ctx, detail) {
  const paint = painter(ctx.out, ctx.env);
  const t = detail.task;
  const d = t.diffStats ? `, ${stats(t.diffStats)}` : "";
  return `${paint.bold(`Task ${shortId(t.id)}`)} ${statusColor(paint, t.status)}${d}`;
}

export async function exec(ctx, { values, positionals }) {
  let prompt = positionals.join(" ");
  if ((prompt === "" || prompt === "-") && !ctx.stdin.isTTY) prompt = await readAll(ctx.stdin);
  prompt = prompt.trim();
  if (!prompt || prompt === "-") throw usage('What should the agent do? `patchbay exec "Make greet trim the name"` (or the prompt on stdin with -).');
  const attempts = values.attempts === undefined ? 1 : Number(values.attempts);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 4) throw usage("--attempts is a number from 1 to 4.");

  let repo = values.repo;
  let branch = values.branch;
  if (!repo || !branch) {
    const checkout = await detectCheckout(ctx.cwd);
    if (!checkout && !repo) throw usage("Not inside a git checkout: pass --repo owner/name (and --branch).");
    if (checkout) {
      if (!repo && !checkout.repo) {
        throw usage(`Cannot tell the GitHub repository from this checkout's remote${checkout.remoteUrl ? ` (${checkout.remoteUrl})` : ""}: pass --repo owner/name.`);
      }
      const same = !repo || repo.toLowerCase() === checkout.repo?.toLowerCase();
      // The checkout's branch means something only for the checkout's own repository.
      if (same) {
        if (!branch) for (const w of checkout.warnings) warn(ctx, w);
        repo ??= checkout.repo;
        branch ??= checkout.branch ?? undefined;
      }
    }
    if (!branch) throw usage(`Which branch of ${repo} should the task start from? Pass --branch (it cannot be told from here).`);
  }
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) throw usage(`--repo is owner/name, not "${repo}".`);

  const api = apiFor(ctx);
  const { task } = await api.json("POST", "/api/tasks", {
    body: { repo, branch, mode: values.ask ? "ask" : "code", prompt, attempts },
  });
  const link = `${api.url}/tasks/${task.id}`;
  if (ctx.json) ctx.out.write(JSON.stringify({ task: { ...task, url: link } }, null, values.follow ? 0 : 2) + "\n");
  else {
    ctx.out.write(`Task ${shortId(task.id)} queued: ${task.mode} on ${task.repoFullName}@${task.baseBranch}, ${attempts} attempt${attempts === 1 ? "" : "s"}\n  ${link}\n`);
    if (!values.follow) ctx.out.write(`Follow it with: patchbay logs ${shortId(task.id)} --follow\n`);
  }
  if (!values.follow) return EXIT.OK;
  const detail = await followTask(ctx, api, task.id, { live: true });
  if (ctx.json) ctx.out.write(JSON.stringify(detail) + "\n");
  else ctx.out.write(summaryLine(ctx, detail) + "\n");
  return exitFor(detail);
}

export async function list(ctx, { values }) {
  const api = apiFor(ctx);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw usage("--limit is a number from 1 to 100.");
  let repo = values.repo;
  if (repo === ".") {
    const checkout = await requireCheckout(ctx.cwd);
    if (!checkout.repo) throw usage("Cannot tell the GitHub repository of this checkout: pass --repo owner/name.");
    repo = checkout.repo;
  }
  const res = await api.json("GET", "/api/tasks", {
    query: { tab: values.archived ? "archive" : "current", repo, status: values.status, q: values.search, limit },
  });
  if (ctx.json) return printJson(ctx, res);
  if (res.tasks.length === 0) {
    ctx.out.write(values.archived ? "No archived tasks.\n" : "No tasks. Start one with `patchbay exec \"…\"`.\n");
    return;
  }
  const paint = painter(ctx.out, ctx.env);
  const rows = res.tasks.map((t) => [shortId(t.id), t.status, t.mode, `${t.repoFullName}@${t.baseBranch}`, ago(t.createdAt), t.diffStats ? `+${t.diffStats.additions} −${t.diffStats.deletions}` : "", t.title]);
  const widths = [8, 9, 4, 0, 0, 0].map((w, i) => Math.max(w, ...rows.map((r) => r[i].length)));
  for (const r of rows) {
    const cells = r.slice(0, 6).map((c, i) => (i === 1 ? statusColor(paint, c) + " ".repeat(widths[i] - c.length) : c.padEnd(widths[i])));
    ctx.out.write(`${cells.join("  ")}  ${r[6]}\n`);
  }
  if (res.nextCursor) note(ctx, `(more: --limit ${Math.min(100, limit * 2)})`);
}

export async function status(ctx, { positionals }) {
  const api = apiFor(ctx);
  const id = await resolveTaskId(api, positionals[0]);
  const detail = await getDetail(api, id);
  if (ctx.json) return printJson(ctx, { ...detail, url: `${api.url}/tasks/${id}` });
  const paint = painter(ctx.out, ctx.env);
  const t = detail.task;
  const out = [
    paint.bold(t.title),
    `  id       ${t.id}`,
    `  status   ${statusColor(paint, t.status)}${t.archived ? " (archived)" : ""}`,
    `  repo     ${t.repoFullName}@${t.baseBranch} (${t.mode})`,
    `  created  ${ago(t.createdAt)}${t.finishedAt ? `, finished ${ago(t.finishedAt)}` : ""}`,
  ];
  for (const a of [...detail.attempts].sort((x, y) => x.index - y.index)) {
    const bits = [statusColor(paint, a.status), a.diffStats ? stats(a.diffStats) : "", a.id === t.chosenAttemptId && detail.attempts.length > 1 ? "chosen" : ""];
    out.push(`  attempt ${a.index + 1}  ${bits.filter(Boolean).join(" · ")}${a.errorMessage ? paint.red(` — ${a.errorMessage}`) : ""}`);
  }
  if (t.prUrl) out.push(`  PR       #${t.prNumber} ${t.prState ?? ""} ${t.prUrl}`);
  if (detail.turns.length > 1) out.push(`  turns    ${detail.turns.length} (the prompt and ${detail.turns.length - 1} follow-up${detail.turns.length === 2 ? "" : "s"})`);
  out.push(`  ${api.url}/tasks/${t.id}`);
  ctx.out.write(out.join("\n") + "\n");
}

export async function logs(ctx, { values, positionals }) {
  const api = apiFor(ctx);
  const id = await resolveTaskId(api, positionals[0]);
  const detail = await followTask(ctx, api, id, { attempt: parseAttempt(values.attempt), live: Boolean(values.follow) });
  if (values.follow) {
    if (!ctx.json) ctx.out.write(summaryLine(ctx, detail) + "\n");
    return exitFor(detail);
  }
  return EXIT.OK;
}

async function attemptDiff(api, id, attemptNo) {
  const detail = await getDetail(api, id);
  const attempt = pickAttempt(detail, attemptNo);
  const diff = await api.text("GET", `/api/tasks/${id}/attempts/${attempt.id}/diff`);
  return { detail, attempt, diff };
}

export async function diff(ctx, { values, positionals }) {
  const api = apiFor(ctx);
  const id = await resolveTaskId(api, positionals[0]);
  const { attempt, diff } = await attemptDiff(api, id, parseAttempt(values.attempt));
  if (ctx.json) return printJson(ctx, { taskId: id, attempt: attempt.index + 1, attemptId: attempt.id, baseCommit: attempt.baseCommit, diffStats: attempt.diffStats, diff });
  if (!diff) {
    note(ctx, `Attempt ${attempt.index + 1} changed nothing${TERMINAL.has(attempt.status) ? "" : " yet (it is still " + attempt.status + ")"}.`);
    return;
  }
  const paint = painter(ctx.out, ctx.env);
  if (!paint.enabled) return void ctx.out.write(diff);
  for (const line of diff.split("\n")) {
    const colored = /^(diff --git|index |--- |\+\+\+ )/.test(line)
      ? paint.bold(line)
      : line.startsWith("@@")
        ? paint.cyan(line)
        : line.startsWith("+")
          ? paint.green(line)
          : line.startsWith("-")
            ? paint.red(line)
            : line;
    ctx.out.write(colored + "\n");
  }
}

export async function apply(ctx, { values, positionals }) {
  const checkout = await requireCheckout(ctx.cwd);
  const api = apiFor(ctx);
  const id = await resolveTaskId(api, positionals[0]);
  const { detail, attempt, diff } = await attemptDiff(api, id, parseAttempt(values.attempt));
  const t = detail.task;
  if (checkout.repo && checkout.repo.toLowerCase() !== t.repoFullName.toLowerCase() && !values.force) {
    throw usage(`This checkout is of ${checkout.repo}; task ${shortId(t.id)} is on ${t.repoFullName}. Run it in a checkout of ${t.repoFullName} (or pass --force).`);
  }
  if (!TERMINAL.has(attempt.status)) warn(ctx, `attempt ${attempt.index + 1} is still ${attempt.status}: this is its diff so far.`);
  if (!diff) {
    if (ctx.json) return printJson(ctx, { applied: false, reason: "empty", taskId: id, attempt: attempt.index + 1 });
    ctx.out.write(`Attempt ${attempt.index + 1} of task ${shortId(id)} changed nothing: there is nothing to apply.\n`);
    return EXIT.OK;
  }
  const result = await applyPatch({ root: checkout.root, patch: diff });
  if (!result.applied) {
    const base = attempt.baseCommit ? ` (${t.baseBranch} at ${attempt.baseCommit.slice(0, 12)})` : "";
    throw new CliError(
      [
        `The diff of task ${shortId(id)} does not apply cleanly to ${checkout.root}; nothing was changed.`,
        ...result.reasons.map((r) => `  ${r}`),
        `Commit or stash your local changes, or check out the task's base${base}, then run \`patchbay apply ${shortId(id)}\` again.`,
        `\`patchbay diff ${shortId(id)} > task.patch\` saves the patch to apply by hand.`,
      ].join("\n"),
      EXIT.CONFLICT,
      { code: "apply_conflict" },
    );
  }
  if (ctx.json) return printJson(ctx, { applied: true, taskId: id, attempt: attempt.index + 1, root: checkout.root, diffStats: attempt.diffStats });
  ctx.out.write(`Applied attempt ${attempt.index + 1} of task ${shortId(id)}${attempt.diffStats ? ` (${stats(attempt.diffStats)})` : ""} to ${checkout.root}.\nReview with \`git diff\`; nothing was committed.\n`);
  return EXIT.OK;
}

export async function pr(ctx, { values, positionals }) {
  const api = apiFor(ctx);
  const id = await resolveTaskId(api, positionals[0]);
  const before = await getDetail(api, id);
  const { pr } = await api.json("POST", `/api/tasks/${id}/pr`, { body: { draft: Boolean(values.draft) } });
  const updated = Boolean(before.task.prUrl);
  if (ctx.json) return printJson(ctx, { taskId: id, updated, pr });
  ctx.out.write(
    updated
      ? `Updated the branch ${pr.branch} of pull request #${pr.number} (${pr.state}): ${pr.url}\n`
      : `Opened ${pr.draft ? "draft " : ""}pull request #${pr.number} from ${pr.branch}: ${pr.url}\n`,
  );
}

export async function cancel(ctx, { positionals }) {
  const api = apiFor(ctx);
  const id = await resolveTaskId(api, positionals[0]);
  const res = await api.json("POST", `/api/tasks/${id}/cancel`);
  if (ctx.json) return printJson(ctx, { taskId: id, ...res });
  ctx.out.write(res.cancelled ? `Stopping task ${shortId(id)} (${res.cancelled} attempt${res.cancelled === 1 ? "" : "s"}).\n` : `Task ${shortId(id)} had already finished.\n`);
}
