import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAttemptEvents } from "@/db/queries/events";
import { upsertEnvironment } from "@/db/queries/environments";
import { findAttempt, insertTaskWithJobs } from "@/db/queries/tasks";
import { users } from "@/db/schema";
import { encryptText } from "@/lib/crypto";
import { createPullRequest } from "@/lib/pr/open";
import { openTestDb } from "../helpers/db";
import { waitFor } from "../helpers/stack";
import { attack, sh, startHostileStack, type HostileStack } from "./harness";

/**
 * Nothing secret is visible to other processes of the host: no secret, variable value, setup script or token on
 * any command line (/proc/<pid>/cmdline is world-readable), and no descriptor of the server inside a sandbox.
 */

const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}`;
const VARIABLE = `variable-${Math.random().toString(36).slice(2)}`;
const SCRIPT_MARK = `script-${Math.random().toString(36).slice(2)}`;

/** Every command line on the host that contains one of `needles`, sampled until stopped. */
function watchCmdlines(needles: string[]) {
  const seen = new Set<string>();
  let samples = 0;
  const scan = () => {
    samples++;
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
        for (const n of needles) if (cmdline.includes(n)) seen.add(`${n} in: ${cmdline.slice(0, 200)}`);
      } catch {
        // raced with exit
      }
    }
  };
  const timer = setInterval(scan, 10);
  return {
    stop() {
      clearInterval(timer);
      scan();
      return { seen: [...seen], samples };
    },
  };
}

describe("secrets and descriptors", () => {
  let s: HostileStack;

  beforeAll(async () => {
    s = await startHostileStack({
      scenarios: () => [
        attack("look-around", [
          sh(`echo "var=$APP_VARIABLE"; sleep 0.5; echo change >> /workspace/README.md`),
          sh(`ls /proc/self/fd | sort -n | tr '\\n' ' '; echo; ls /proc/1/fd | sort -n | tr '\\n' ' '; echo; env | sort`),
        ]),
        attack("fds", [sh(`ls /proc/self/fd | sort -n | tr '\\n' ' '; echo; ls /proc/1/fd | sort -n | tr '\\n' ' '; echo`)]),
      ],
    });
  });
  afterAll(async () => s?.close());

  it("puts no secret, variable, setup script or token on any command line, from setup to pull request", async () => {
    await upsertEnvironment(
      s.handle.db,
      { ownerId: s.userId, repoFullName: "acme/widgets" },
      {
        defaultBranch: "main",
        setupScript: `echo "${SCRIPT_MARK}"; test -n "$DEPLOY_TOKEN"; sleep 0.5; echo "setup done"`,
        envVars: { APP_VARIABLE: VARIABLE },
        secretsEncrypted: encryptText(JSON.stringify({ DEPLOY_TOKEN: SECRET })),
        internetPolicy: "off",
        setupTimeoutSeconds: 60,
      },
    );
    const watch = watchCmdlines([SECRET, VARIABLE, SCRIPT_MARK, "ghs_", "x-access-token", "Authorization"]);
    const { attempt, log, taskId } = await s.run("look-around");
    const pr = await createPullRequest({ userId: s.userId, taskId });
    const { seen, samples } = watch.stop();
    expect(attempt.status).toBe("succeeded");
    expect(log).toContain("setup done");
    expect(log).toContain(`var=${VARIABLE}`);
    expect(log).not.toContain(SECRET);
    expect(pr.number).toBeGreaterThan(0);
    expect(samples).toBeGreaterThan(20);
    expect(seen).toEqual([]);
    await s.handle.db.delete((await import("@/db/schema")).environments);
  });

  it("gives the sandbox no descriptor but stdin, stdout and stderr", async () => {
    const { attempt, log } = await s.run("look-around");
    expect(attempt.status).toBe("succeeded");
    // `ls` itself opens the directory it lists (the 3 in the first line); pid 1 is the sandbox's shell.
    expect(log).toMatch(/^0 1 2 3 $/m);
    expect(log).toMatch(/^0 1 2 $/m);
    expect(log).not.toMatch(/NEXTAUTH|OPENAI|DATABASE_URL|GITHUB_APP|PATCHBAY_DATA_DIR/);
  });

  /**
   * A server started with descriptors it does not know about (a supervisor's pipes, a shell's redirections) must
   * not hand them to a sandbox: a worker process started with three extra inherited pipes runs the same task.
   * PostgreSQL only: the worker is a process of its own and shares the database.
   */
  it.skipIf(!process.env.DATABASE_URL)("closes every descriptor the server inherited before the sandbox starts", async () => {
    let worker: ChildProcess | undefined;
    const server = await openTestDb("postgres");
    try {
      const [user] = await server.db.insert(users).values({ name: "M" }).returning();
      const { attempts } = await insertTaskWithJobs(server.db, {
        ownerId: user.id, repoFullName: "acme/widgets", baseBranch: "main", mode: "code", title: "fds", prompt: "[attack:fds] go", attemptsCount: 1,
      });
      worker = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"], {
        env: { ...process.env, ...s.stack.env, DATABASE_URL: server.url, PATCHBAY_DATA_DIR: s.config.dataDir },
        // fds 3, 4 and 5 are inherited by the worker without close-on-exec.
        stdio: ["ignore", "pipe", "pipe", "pipe", "pipe", "pipe"],
      });
      let output = "";
      worker.stdout?.on("data", (d) => (output += d));
      worker.stderr?.on("data", (d) => (output += d));
      const attempt = await waitFor(async () => {
        const a = await findAttempt(server.db, attempts[0].id);
        return a && ["succeeded", "failed"].includes(a.status) ? a : null;
      }, 60_000, `the worker to finish the attempt; it said: ${output}`);
      expect(attempt.status).toBe("succeeded");
      const log = (await listAttemptEvents(server.db, attempt.id)).filter((e) => e.type === "log").map((e) => String(e.payload.text)).join("");
      expect(log).toMatch(/^0 1 2 3 $/m);
      expect(log).toMatch(/^0 1 2 $/m);
    } finally {
      if (worker && worker.exitCode === null) {
        const exited = new Promise((r) => worker!.once("exit", r));
        worker.kill("SIGTERM");
        await exited;
      }
      await server.cleanup();
    }
  });
});
