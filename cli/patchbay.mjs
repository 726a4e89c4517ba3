#!/usr/bin/env node
// The patchbay command line: Patchbay's tasks from a terminal, over the task API and a personal access token.
// Plain ESM on Node's standard library only (Node 20.9+), so it runs straight from a checkout or an npm install.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as commands from "./lib/commands.mjs";
import { CliError, EXIT } from "./lib/errors.mjs";

const json = { json: { type: "boolean" } };

/** Each command: its options (node:util parseArgs), how many positionals it takes, and its help. */
const COMMANDS = {
  login: {
    run: commands.login,
    options: { url: { type: "string" }, "with-token": { type: "boolean" }, ...json },
    positionals: 0,
    usage: "patchbay login [--url URL] [--with-token < token.txt]",
    help: "Checks a personal access token (Settings → API tokens) and saves the server URL and token in your config directory, readable by you only. Without --with-token it asks on the terminal, not echoing the token.",
  },
  logout: { run: commands.logout, options: { ...json }, positionals: 0, usage: "patchbay logout", help: "Forgets the saved URL and token (the token stays valid until you revoke it)." },
  whoami: { run: commands.whoami, options: { ...json }, positionals: 0, usage: "patchbay whoami", help: "Who the saved token belongs to, its scopes and expiry." },
  exec: {
    run: commands.exec,
    options: {
      repo: { type: "string" },
      branch: { type: "string" },
      ask: { type: "boolean" },
      attempts: { type: "string" },
      follow: { type: "boolean", short: "f" },
      ...json,
    },
    positionals: Infinity,
    usage: 'patchbay exec "prompt" [--repo owner/name] [--branch b] [--ask] [--attempts N] [--follow]',
    help: "Starts a Code task (or an Ask task with --ask) with 1–4 attempts. The repository and branch come from the current checkout's remote and upstream unless given. With --follow, streams the log and exits with the task's outcome. A prompt of - is read from standard input.",
  },
  list: {
    run: commands.list,
    options: { repo: { type: "string" }, status: { type: "string" }, search: { type: "string" }, archived: { type: "boolean" }, limit: { type: "string" }, ...json },
    positionals: 0,
    usage: "patchbay list [--repo owner/name|.] [--status S] [--search text] [--archived] [--limit N]",
    help: "Your tasks, newest first. --repo . means this checkout's repository.",
  },
  status: { run: commands.status, options: { ...json }, positionals: 1, usage: "patchbay status <id>", help: "A task: its status, attempts, diff sizes and pull request." },
  logs: {
    run: commands.logs,
    options: { follow: { type: "boolean", short: "f" }, attempt: { type: "string" }, ...json },
    positionals: 1,
    usage: "patchbay logs <id> [--follow] [--attempt N]",
    help: "The task's log: commands, output, the agent's messages. --follow keeps streaming while it runs (resuming by itself after a dropped connection) and exits with its outcome. --json prints one event per line.",
  },
  diff: { run: commands.diff, options: { attempt: { type: "string" }, ...json }, positionals: 1, usage: "patchbay diff <id> [--attempt N]", help: "The diff of the chosen attempt (or attempt N), ready for git apply." },
  apply: {
    run: commands.apply,
    options: { attempt: { type: "string" }, force: { type: "boolean" }, ...json },
    positionals: 1,
    usage: "patchbay apply <id> [--attempt N] [--force]",
    help: "Applies the diff to the checkout you are in with git apply — all of it, or nothing when it conflicts. --force applies to a checkout of another repository.",
  },
  pr: { run: commands.pr, options: { draft: { type: "boolean" }, ...json }, positionals: 1, usage: "patchbay pr <id> [--draft]", help: "Opens the task's pull request (or pushes its latest turn to the one it has)." },
  cancel: { run: commands.cancel, options: { ...json }, positionals: 1, usage: "patchbay cancel <id>", help: "Stops a running task." },
};

const EXIT_HELP = `Exit codes:
  0  done (a followed task succeeded)       5  conflict: the diff does not apply, or 409
  1  the followed task failed or stopped    6  rate limited (429): retry later
  2  usage: bad arguments, no checkout      7  Patchbay unreachable or failing (5xx)
  3  not logged in, bad token, no scope     8  refused otherwise (400, 422)
  4  no such task or attempt`;

function mainHelp() {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage}`);
  return `patchbay — Patchbay's tasks from the terminal

Usage:
${lines.join("\n")}

Every command takes --json for scripts. Task ids may be shortened to their first characters.
The server and token come from \`patchbay login\`, or from PATCHBAY_URL and PATCHBAY_TOKEN.

${EXIT_HELP}
`;
}

export async function main(argv, io) {
  const ctx = { ...io, json: false };
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? COMMANDS[rest[0]] : undefined;
    ctx.out.write(topic ? `${topic.usage}\n\n${topic.help}\n` : mainHelp());
    return EXIT.OK;
  }
  if (name === "--version" || name === "-v") {
    ctx.out.write("patchbay 0.1.0\n");
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new CliError(`Unknown command "${name}". Run \`patchbay --help\`.`, EXIT.USAGE, { code: "usage" });
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new CliError(`${err.message.replace(/\. To specify a positional.*$/s, ".")}\nUsage: ${command.usage}`, EXIT.USAGE, { code: "usage" });
    }
    ctx.json = Boolean(parsed.values.json);
    if (parsed.values.help) {
      ctx.out.write(`${command.usage}\n\n${command.help}\n`);
      return EXIT.OK;
    }
    if (command.positionals !== Infinity && parsed.positionals.length > command.positionals) {
      throw new CliError(`Too many arguments.\nUsage: ${command.usage}`, EXIT.USAGE, { code: "usage" });
    }
    if (command.positionals === 1 && parsed.positionals.length === 0) {
      throw new CliError(`Which task?\nUsage: ${command.usage}`, EXIT.USAGE, { code: "usage" });
    }
    const code = await command.run(ctx, parsed);
    return typeof code === "number" ? code : EXIT.OK;
  } catch (err) {
    if (err instanceof CliError) {
      if (ctx.json) ctx.err.write(JSON.stringify({ error: { code: err.code, message: err.message, status: err.status ?? null, retryAfter: err.retryAfter } }) + "\n");
      else ctx.err.write(`patchbay: ${err.message}\n`);
      return err.exitCode;
    }
    ctx.err.write(`patchbay: unexpected error: ${err?.stack ?? err}\n`);
    return EXIT.REFUSED;
  }
}

function invokedDirectly() {
  try {
    return fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

const isMain = invokedDirectly();
if (isMain) {
  const ctrl = new AbortController();
  process.once("SIGINT", () => {
    ctrl.abort();
    process.exitCode = 130;
  });
  const code = await main(process.argv.slice(2), {
    out: process.stdout,
    err: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: ctrl.signal,
  });
  if (ctrl.signal.aborted) process.exit(130);
  process.exitCode = code;
}
