import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  SandboxUnavailableError,
  SandboxUsageError,
  checkSandboxAvailable,
  createBwrapSandbox,
  ensureSandboxUser,
  type Sandbox,
  type SandboxOptions,
} from "./index";

function which(bin: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const hasBwrap = which("bwrap");
const isRoot = process.getuid?.() === 0;
const MiB = 1024 * 1024;

/** Host processes whose argv is exactly `argv` (scan of /proc). */
function findProcesses(argv: string[]): Array<{ pid: number; uid: number }> {
  const wanted = argv.join("\0");
  const found: Array<{ pid: number; uid: number }> = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0$/, "");
      if (cmdline !== wanted) continue;
      const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      found.push({ pid: Number(entry), uid });
    } catch {
      // raced with exit
    }
  }
  return found;
}

/** Live (non-zombie) processes of a host uid. */
function processesOfUid(uid: number): number {
  let n = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
      const zombie = /^State:\s+[ZX]/m.test(status); // dead, waiting for the host's init to reap it
      if (!zombie && Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid) n++;
    } catch {
      // raced with exit
    }
  }
  return n;
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function uniqueSleep(prefix: number): string {
  return `${prefix}.${Math.floor(Math.random() * 1e6)}`;
}

describe.skipIf(!hasBwrap)("bubblewrap sandbox (skipped only when bwrap is not installed)", () => {
  let root: string; // <tmp>
  let workspace: string; // <tmp>/work/attempt-1
  let sibling: string; // <tmp>/work/attempt-2
  let scratchParent: string;
  let hostUser: { uid: number; gid: number };
  const sandboxes: Sandbox[] = [];

  async function make(extra: Partial<SandboxOptions> = {}): Promise<Sandbox> {
    const sb = await createBwrapSandbox({
      workspaceDir: workspace,
      mode: "rw",
      network: "off",
      scratchParentDir: scratchParent,
      ...extra,
    });
    sandboxes.push(sb);
    return sb;
  }

  const sh = (script: string) => ["sh", "-c", script];
  const bash = (script: string) => ["bash", "-c", script];

  beforeAll(async () => {
    hostUser = await ensureSandboxUser();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-sbx-test-"));
    fs.chmodSync(root, 0o755); // the sandbox host user must be able to traverse to the checkout
    fs.mkdirSync(path.join(root, "app/.data"), { recursive: true });
    fs.writeFileSync(path.join(root, "app/.env"), "SECRET=app-secret-value\n");
    fs.writeFileSync(path.join(root, "app/.data/db.sqlite"), "data-secret-value");
    workspace = path.join(root, "work/attempt-1");
    sibling = path.join(root, "work/attempt-2");
    fs.mkdirSync(workspace, { recursive: true });
    fs.mkdirSync(sibling, { recursive: true });
    fs.writeFileSync(path.join(sibling, "secret.txt"), "sibling-secret-value");
    fs.writeFileSync(path.join(workspace, "README.md"), "hello\n");
    fs.mkdirSync(path.join(workspace, "sub"));
    // What the runner does: the checkout belongs to the unprivileged host user.
    execFileSync("chown", ["-R", `${hostUser.uid}:${hostUser.gid}`, workspace]);
    scratchParent = path.join(root, "scratch");
    fs.mkdirSync(scratchParent);
  });

  afterAll(async () => {
    for (const sb of sandboxes) await sb.destroy();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  describe("basics", () => {
    it("runs echo, propagates exit codes and separates stderr", async () => {
      const sb = await make();
      const r = await sb.exec({ argv: ["echo", "hi"], timeoutMs: 10_000 });
      expect(r).toMatchObject({ exitCode: 0, signal: null, stdout: "hi\n", stderr: "", timedOut: false, cancelled: false, truncated: false, outputBytes: 3 });

      const failed = await sb.exec({ argv: sh("echo out; echo err >&2; exit 7"), timeoutMs: 10_000 });
      expect(failed.exitCode).toBe(7);
      expect(failed.stdout).toBe("out\n");
      expect(failed.stderr).toBe("err\n");

      const missing = await sb.exec({ argv: ["definitely-not-a-command"], timeoutMs: 10_000 });
      expect(missing.exitCode).not.toBe(0);
    });

    it("streams output before the command exits, without splitting UTF-8 characters", async () => {
      const sb = await make();
      let done = false;
      let firstChunk!: (s: string) => void;
      const first = new Promise<string>((resolve) => (firstChunk = resolve));
      const chunks: string[] = [];
      const pending = sb
        .exec({
          argv: bash("echo first; sleep 1; printf '\\xc3'; sleep 0.2; printf '\\xa9\\n'"),
          timeoutMs: 10_000,
          onOutput: (stream, chunk) => {
            chunks.push(chunk);
            if (stream === "stdout") firstChunk(chunk);
          },
        })
        .then((r) => {
          done = true;
          return r;
        });
      expect(await first).toBe("first\n");
      expect(done).toBe(false);
      const r = await pending;
      expect(r.stdout).toBe("first\né\n");
      expect(chunks.join("")).toBe("first\né\n");
      expect(chunks.join("")).not.toContain("\uFFFD");
    });

    it("starts an interactive command: input is written while it runs, on pipes or on a terminal, and kill ends it", async () => {
      const sb = await make();
      const seen: string[] = [];
      const cat = await sb.start({ argv: ["cat"], timeoutMs: 20_000, onOutput: (_s, t) => seen.push(t) });
      expect(cat.tty).toBe(false);
      await cat.write("hello\n");
      await waitUntil(() => seen.join("").includes("hello"));
      await cat.write("again\n");
      await waitUntil(() => seen.join("").includes("again"));
      cat.kill();
      const r = await cat.result;
      expect(r.cancelled).toBe(true);
      expect(r.stdout).toBe("hello\nagain\n");

      const term = await sb.start({ argv: ["sh", "-c", "tty; read line; echo got $line"], tty: true, timeoutMs: 20_000 });
      expect(term.tty).toBe(true);
      await term.write("it\n");
      const t = await term.result;
      expect(t.exitCode).toBe(0);
      expect(t.stdout).toMatch(/\/dev\/pts\/\d+/);
      expect(t.stdout).toContain("got it");
    });

    it("passes stdin and honours cwd inside the workspace", async () => {
      const sb = await make();
      const r = await sb.exec({ argv: ["cat"], stdin: "from stdin", timeoutMs: 10_000 });
      expect(r.stdout).toBe("from stdin");
      const pwd = await sb.exec({ argv: ["pwd"], cwd: "sub", timeoutMs: 10_000 });
      expect(pwd.stdout).toBe("/workspace/sub\n");
      await expect(sb.exec({ argv: ["pwd"], cwd: "../attempt-2", timeoutMs: 10_000 })).rejects.toThrow(SandboxUsageError);
    });

    it("has node, git, sh and bash, and runs as uid 1000 named sandbox", async () => {
      const sb = await make();
      const r = await sb.exec({
        argv: bash("id -u; id -un; node -e 'console.log(process.version)'; git --version; sh -c 'echo sh-ok'; echo $HOME; hostname"),
        timeoutMs: 10_000,
      });
      expect(r.stderr).toBe("");
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toBe("1000");
      expect(lines[1]).toBe("sandbox");
      expect(lines[2]).toMatch(/^v\d+/);
      expect(lines[3]).toMatch(/^git version/);
      expect(lines.slice(4)).toEqual(["sh-ok", "/tmp/home", "sandbox"]);
    });
  });

  describe("filesystem", () => {
    it("Code mode writes into the checkout", async () => {
      const sb = await make({ mode: "rw" });
      const r = await sb.exec({ argv: sh("echo written > out.txt && cat README.md"), timeoutMs: 10_000 });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe("hello\n");
      expect(fs.readFileSync(path.join(workspace, "out.txt"), "utf8")).toBe("written\n");
      if (isRoot) expect(fs.statSync(path.join(workspace, "out.txt")).uid).toBe(hostUser.uid);
    });

    it("Ask mode cannot write the checkout", async () => {
      const sb = await make({ mode: "ro" });
      const r = await sb.exec({ argv: sh("echo nope > ask.txt"), timeoutMs: 10_000 });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(fs.existsSync(path.join(workspace, "ask.txt"))).toBe(false);
      const read = await sb.exec({ argv: ["cat", "README.md"], timeoutMs: 10_000 });
      expect(read.stdout).toBe("hello\n");
    });

    it("cannot read the app's .env, its data folder or a sibling attempt", async () => {
      const sb = await make();
      const env = path.join(root, "app/.env");
      const data = path.join(root, "app/.data");
      const secret = path.join(sibling, "secret.txt");
      for (const argv of [
        ["cat", env],
        ["ls", data],
        ["cat", path.join(data, "db.sqlite")],
        ["cat", "../../app/.env"],
        ["cat", secret],
        ["cat", "../attempt-2/secret.txt"],
        sh(`ln -sf ${env} leak && cat leak`), // a symlink resolves inside the sandbox's view, not the host's
        ["ls", root],
      ]) {
        const r = await sb.exec({ argv, timeoutMs: 10_000 });
        expect(r.exitCode, argv.join(" ")).not.toBe(0);
        expect(r.stdout + r.stderr).not.toMatch(/secret-value/);
      }
      // Nowhere in the sandbox's view (host /usr is shared read-only and holds no app data; /proc, /dev are virtual).
      const grep = await sb.exec({
        argv: sh("grep -rs --exclude-dir=usr --exclude-dir=proc --exclude-dir=dev secret-value / 2>/dev/null; echo done"),
        timeoutMs: 30_000,
      });
      expect(grep.stdout).toBe("done\n");
    });

    it("does not see /root, /work, /home, /var contents or the host's /etc", async () => {
      const sb = await make();
      for (const p of ["/root", "/work", "/home", "/var/lib", "/etc/shadow", "/etc/ssh", "/etc/gitconfig", "/etc/npmrc", "/old_root", "/sys"]) {
        const r = await sb.exec({ argv: ["ls", "-d", p], timeoutMs: 10_000 });
        expect(r.exitCode, p).not.toBe(0);
        expect(r.stderr, p).toMatch(/No such file or directory/);
      }
      const passwd = await sb.exec({ argv: ["cat", "/etc/passwd"], timeoutMs: 10_000 });
      expect(passwd.stdout).toContain("sandbox:x:1000:1000");
      expect(passwd.stdout).not.toContain("patchbay-sandbox");
    });

    it("cannot write outside the checkout; /tmp is private and removed by destroy", async () => {
      const sb = await createBwrapSandbox({ workspaceDir: workspace, mode: "rw", network: "off", scratchParentDir: scratchParent });
      for (const target of ["/usr/x", "/etc/x", "/x", "/bin/x", "/proc/x", "/var/x"]) {
        const r = await sb.exec({ argv: ["touch", target], timeoutMs: 10_000 });
        expect(r.exitCode, target).not.toBe(0);
      }
      expect(fs.existsSync("/usr/x")).toBe(false);
      expect(fs.existsSync("/etc/x")).toBe(false);

      const marker = `patchbay-marker-${process.pid}-${Date.now()}`;
      const w = await sb.exec({ argv: sh(`echo tmp > /tmp/${marker} && echo home > ~/.h`), timeoutMs: 10_000 });
      expect(w.exitCode).toBe(0);
      expect(fs.existsSync(path.join("/tmp", marker))).toBe(false);
      expect(fs.existsSync(path.join(os.tmpdir(), marker))).toBe(false);
      // /tmp and HOME persist between commands of the same sandbox ...
      const r = await sb.exec({ argv: sh(`cat /tmp/${marker} ~/.h`), timeoutMs: 10_000 });
      expect(r.stdout).toBe("tmp\nhome\n");
      // ... and are gone after destroy
      expect(fs.readdirSync(scratchParent).length).toBeGreaterThan(0);
      await sb.destroy();
      await sb.destroy(); // idempotent
      expect(fs.readdirSync(scratchParent).filter((n) => n.startsWith("patchbay-sandbox-") && sandboxes.length === 0)).toEqual([]);
      // grep -l exits 1 when no file holds the marker's text (nothing was left).
      const found = spawnSync("grep", ["-rl", "--", "tmp", scratchParent], { encoding: "utf8" });
      expect(found.status === 0 || found.status === 1, found.stderr).toBe(true);
      expect(found.stdout.split("\n").filter((l) => l.includes(marker))).toEqual([]);
      await expect(sb.exec({ argv: ["true"], timeoutMs: 1000 })).rejects.toThrow(/destroyed/);
    });

    it("destroy removes a scratch of any size, locked folders and links included, never what a link points to", async () => {
      const before = new Set(fs.readdirSync(scratchParent));
      const sb = await createBwrapSandbox({ workspaceDir: workspace, mode: "rw", network: "off", scratchParentDir: scratchParent });
      const mine = fs.readdirSync(scratchParent).filter((n) => !before.has(n));
      expect(mine).toHaveLength(1);
      const keep = `keep-${Date.now()}.txt`;
      fs.writeFileSync(path.join(workspace, keep), "kept");
      const w = await sb.exec({
        argv: sh(`mkdir -p /tmp/many ~/locked && for i in $(seq 300); do echo $i > /tmp/many/$i; done && echo x > ~/locked/f && chmod 000 ~/locked && ln -s ${workspace} /tmp/ws && ln -s ${workspace}/${keep} ~/keep`),
        timeoutMs: 20_000,
      });
      expect(w.exitCode).toBe(0);
      await sb.destroy();
      expect(fs.existsSync(path.join(scratchParent, mine[0]))).toBe(false);
      expect(fs.readFileSync(path.join(workspace, keep), "utf8")).toBe("kept");

      // The usual case, a handful of entries, takes the synchronous path: also gone, the checkout untouched.
      const small = await createBwrapSandbox({ workspaceDir: workspace, mode: "rw", network: "off", scratchParentDir: scratchParent });
      expect((await small.exec({ argv: sh(`echo 1 > ~/.h && ln -s ${workspace}/${keep} /tmp/k && ln -s ${workspace} /tmp/w`), timeoutMs: 10_000 })).exitCode).toBe(0);
      await small.destroy();
      expect(fs.readdirSync(scratchParent).filter((n) => !before.has(n))).toEqual([]);
      expect(fs.readFileSync(path.join(workspace, keep), "utf8")).toBe("kept");
      fs.rmSync(path.join(workspace, keep));
    });
  });

  describe("network", () => {
    let server: net.Server;
    let port = 0;
    let connections = 0;

    beforeAll(async () => {
      server = net.createServer((socket) => {
        connections++;
        socket.end("hello from host\n");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("with network off, cannot reach a host port on 127.0.0.1 nor the internet", async () => {
      const sb = await make({ network: "off" });
      const local = await sb.exec({ argv: bash(`exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`), timeoutMs: 10_000 });
      expect(local.exitCode).not.toBe(0);
      expect(local.stderr).toMatch(/Connection refused/);
      expect(local.stdout).not.toContain("hello from host");

      const viaNode = await sb.exec({
        argv: ["node", "-e", `require("net").connect(${port}, "127.0.0.1").on("error", e => { console.error(e.code); process.exit(3) }).on("connect", () => process.exit(0))`],
        timeoutMs: 10_000,
      });
      expect(viaNode.exitCode).toBe(3);
      expect(viaNode.stderr).toContain("ECONNREFUSED");
      expect(connections).toBe(0);

      const started = Date.now();
      const external = await sb.exec({ argv: bash("timeout 5 bash -c 'echo GET > /dev/tcp/1.1.1.1/80'"), timeoutMs: 10_000 });
      expect(external.exitCode).not.toBe(0);
      expect(external.stderr).toMatch(/Network is unreachable/);
      expect(Date.now() - started).toBeLessThan(3000);

      const dns = await sb.exec({ argv: ["getent", "hosts", "example.com"], timeoutMs: 10_000 });
      expect(dns.exitCode).not.toBe(0);
    });

    it("with the proxy, its only way out is the proxy's socket (bridged to 127.0.0.1:3128), never the host's network", async () => {
      // A stand-in for the egress proxy: answers every request on its Unix socket with what it was asked.
      const socketPath = path.join(root, "proxy.sock");
      const asked: string[] = [];
      const proxy = net.createServer((socket) => {
        socket.once("data", (d) => {
          asked.push(d.toString("utf8").split("\r\n")[0]);
          socket.end("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nvia the proxy\n");
        });
      });
      await new Promise<void>((resolve) => proxy.listen(socketPath, resolve));
      fs.chmodSync(socketPath, 0o666);
      try {
        const sb = await make({ network: "proxy", proxySocket: socketPath });
        const r = await sb.exec({
          argv: bash(`echo "$HTTP_PROXY $HTTPS_PROXY"; curl -s http://example.test/hello; exec 3<>/dev/tcp/127.0.0.1/${port} || echo "no host port"`),
          timeoutMs: 10_000,
        });
        expect(r.stdout).toContain("http://127.0.0.1:3128 http://127.0.0.1:3128");
        expect(r.stdout).toContain("via the proxy");
        expect(r.stdout).toContain("no host port");
        expect(asked).toEqual(["GET http://example.test/hello HTTP/1.1"]);
        expect(connections).toBe(0);
        const dns = await sb.exec({ argv: ["getent", "hosts", "example.com"], timeoutMs: 10_000 });
        expect(dns.exitCode).not.toBe(0);

        // The model gateway's socket comes in the same way, on its own port, with or without the proxy.
        for (const network of ["off", "proxy"] as const) {
          const withModel = await make({ network, proxySocket: socketPath, modelSocket: socketPath });
          const m = await withModel.exec({ argv: bash('echo "$PATCHBAY_MODEL_URL"; curl -s "$PATCHBAY_MODEL_URL/v1/models"'), timeoutMs: 10_000 });
          expect(m.stdout).toContain("http://127.0.0.1:3129");
          expect(m.stdout).toContain("via the proxy");
        }
        expect(asked).toContain("GET /v1/models HTTP/1.1");
      } finally {
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
      }
    });
  });

  describe("environment", () => {
    it("does not leak the server's environment; only passed variables are visible", async () => {
      process.env.GITHUB_TOKEN_TEST = "ghs_secret";
      try {
        const sb = await make({ env: { PASSED_VAR: "visible" } });
        const r = await sb.exec({ argv: ["env"], timeoutMs: 10_000 });
        expect(r.stdout).not.toContain("GITHUB_TOKEN_TEST");
        expect(r.stdout).not.toContain("ghs_secret");
        expect(r.stdout).toContain("PASSED_VAR=visible\n");
        const names = r.stdout.trim().split("\n").map((l) => l.split("=")[0]).sort();
        expect(names).toEqual(["CI", "HOME", "LANG", "LOGNAME", "PASSED_VAR", "PATH", "PWD", "SHELL", "TERM", "TMPDIR", "USER"]);
        const proc = await sb.exec({ argv: sh("cat /proc/1/environ /proc/*/environ 2>/dev/null | tr '\\0' '\\n'"), timeoutMs: 10_000 });
        expect(proc.stdout).not.toContain("ghs_secret");
      } finally {
        delete process.env.GITHUB_TOKEN_TEST;
      }
    });
  });

  describe("processes and limits", () => {
    it("leaves no background process behind", async () => {
      const sb = await make();
      const duration = uniqueSleep(1000);
      const r = await sb.exec({ argv: sh(`sleep ${duration} & echo started`), timeoutMs: 10_000 });
      expect(r.stdout).toBe("started\n");
      expect(r.durationMs).toBeLessThan(3000);
      expect(findProcesses(["sleep", duration])).toEqual([]);
    });

    it("kills the whole tree on timeout", async () => {
      const sb = await make();
      const duration = uniqueSleep(30);
      const started = Date.now();
      const r = await sb.exec({ argv: sh(`sleep ${duration} & sleep ${duration}`), timeoutMs: 500 });
      expect(r.timedOut).toBe(true);
      expect(r.cancelled).toBe(false);
      expect(r.exitCode).toBeNull();
      expect(r.signal).toBe("SIGKILL");
      expect(Date.now() - started).toBeLessThan(1500);
      expect(findProcesses(["sleep", duration])).toEqual([]);
    });

    it("cancels via AbortSignal within a second", async () => {
      const sb = await make();
      const controller = new AbortController();
      const duration = uniqueSleep(30);
      let abortedAt = 0;
      const r = await sb.exec({
        argv: sh(`echo ready; sleep ${duration}`),
        timeoutMs: 30_000,
        signal: controller.signal,
        onOutput: () => {
          abortedAt = Date.now();
          controller.abort();
        },
      });
      expect(r.cancelled).toBe(true);
      expect(r.timedOut).toBe(false);
      expect(Date.now() - abortedAt).toBeLessThan(1000);
      expect(findProcesses(["sleep", duration])).toEqual([]);

      const pre = await sb.exec({ argv: ["true"], timeoutMs: 1000, signal: AbortSignal.abort() });
      expect(pre.cancelled).toBe(true);
    });

    it("without a cgroup, bounds each process's memory (RLIMIT_DATA) and node's WebAssembly still works", async () => {
      const sb = await make({ limits: { memoryBytes: 256 * MiB } });
      const eat = await sb.exec({ argv: bash("tail /dev/zero; echo exit=$?"), timeoutMs: 20_000 });
      expect(eat.stdout).toContain("exit=1");
      expect(eat.stderr).toContain("memory exhausted");
      const wasm = await sb.exec({ argv: ["node", "-e", "new WebAssembly.Memory({ initial: 10 }); console.log('wasm ok')"], timeoutMs: 20_000 });
      expect(wasm.stdout).toBe("wasm ok\n");
    });

    it("limits file size", async () => {
      const sb = await make({ limits: { maxFileBytes: 10 * MiB } });
      const r = await sb.exec({ argv: sh("head -c 200M /dev/zero > big"), timeoutMs: 30_000 });
      expect(r.exitCode).not.toBe(0);
      expect(fs.statSync(path.join(workspace, "big")).size).toBeLessThanOrEqual(10 * MiB);
      fs.rmSync(path.join(workspace, "big"));
    });

    it("limits CPU time", async () => {
      const sb = await make({ limits: { cpuSeconds: 1 } });
      const r = await sb.exec({ argv: sh("while :; do :; done"), timeoutMs: 20_000 });
      expect(r.timedOut).toBe(false);
      expect(r.exitCode).toBe(128 + os.constants.signals.SIGXCPU);
    });

    it("limits the number of processes; a fork bomb does not hurt the host", async () => {
      const sb = await make({ limits: { maxProcesses: 20 } });
      const r = await sb.exec({
        argv: sh("i=0; while [ $i -lt 100 ]; do sleep 5 & i=$((i+1)); done; echo spawned $i"),
        timeoutMs: 20_000,
      });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/fork/i);
      expect(r.stdout).not.toContain("spawned 100");

      const bomb = await sb.exec({ argv: bash(":(){ :|:& };:; sleep 2; echo survived"), timeoutMs: 5_000 });
      expect(bomb.timedOut || bomb.exitCode !== null).toBe(true);
      // The host is fine: we can still fork, and nothing of the sandbox user is left running.
      expect(execFileSync("echo", ["host ok"], { encoding: "utf8" })).toBe("host ok\n");
      if (isRoot) {
        const left = processesOfUid(hostUser.uid);
        const ps = left ? execFileSync("ps", ["-o", "pid,ppid,stat,cmd", "-u", String(hostUser.uid)], { encoding: "utf8" }) : "";
        expect(left, `${JSON.stringify({ ...bomb, stdout: "", stderr: "" })}\n${ps}`).toBe(0);
      }
    });

    it("caps 1 GiB of output without growing memory", async () => {
      const sb = await make();
      const before = process.memoryUsage().rss;
      const started = Date.now();
      const r = await sb.exec({ argv: sh("head -c 1073741824 /dev/zero | tr '\\0' a"), timeoutMs: 60_000 });
      const elapsed = Date.now() - started;
      const grown = process.memoryUsage().rss - before;
      expect(r.exitCode).toBe(0);
      expect(r.outputBytes).toBeGreaterThanOrEqual(1024 * MiB);
      expect(r.stdout.length).toBeLessThanOrEqual(MiB);
      expect(r.stdout).toBe("a".repeat(MiB));
      expect(r.truncated).toBe(true);
      expect(grown).toBeLessThan(100 * MiB);
      console.info(`1 GiB through the sandbox: ${elapsed} ms, rss +${(grown / MiB).toFixed(1)} MiB`);
    });

    it("runs as uid 1000 inside and as an unprivileged host user outside", async () => {
      const sb = await make();
      const duration = uniqueSleep(20);
      const controller = new AbortController();
      let hostView: Array<{ pid: number; uid: number }> = [];
      let polling = false;
      const r = await sb.exec({
        argv: sh(`grep -E '^(Uid|CapEff|CapBnd)' /proc/self/status; exec sleep ${duration}`),
        timeoutMs: 20_000,
        signal: controller.signal,
        onOutput: () => {
          if (polling) return;
          polling = true;
          // The first chunk comes from grep, just before `exec sleep`: poll briefly for the sleep.
          const poll = (tries: number) => {
            hostView = findProcesses(["sleep", duration]);
            if (hostView.length === 0 && tries > 0) setTimeout(() => poll(tries - 1), 20);
            else controller.abort();
          };
          poll(100);
        },
      });
      expect(r.stdout).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
      expect(r.stdout).toMatch(/^CapEff:\s+0+$/m);
      expect(r.stdout).toMatch(/^CapBnd:\s+0+$/m);
      expect(hostView).toHaveLength(1);
      expect(hostView[0].uid).toBe(isRoot ? hostUser.uid : process.getuid?.());
      expect(hostView[0].uid).not.toBe(0);
    });
  });

  describe("hardening", () => {
    it("cannot create nested user namespaces or regain capabilities", async () => {
      const sb = await make();
      const r = await sb.exec({ argv: ["unshare", "--user", "--map-root-user", "true"], timeoutMs: 10_000 });
      expect(r.exitCode).not.toBe(0);
      const caps = await sb.exec({ argv: sh("grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status"), timeoutMs: 10_000 });
      expect(caps.stdout).toMatch(/^CapPrm:\s+0+$/m);
      expect(caps.stdout).toMatch(/^CapBnd:\s+0+$/m);
      expect(caps.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    });

    it("runs concurrent commands independently", async () => {
      const sb = await make();
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((i) => sb.exec({ argv: sh(`sleep 0.2; echo ${i}; exit ${i}`), timeoutMs: 10_000 })),
      );
      expect(results.map((r) => [r.exitCode, r.stdout])).toEqual([1, 2, 3, 4, 5].map((i) => [i, `${i}\n`]));
    });

    it("binds extra read-only paths when asked (e.g. a git mirror for alternates)", async () => {
      const mirror = path.join(root, "mirror");
      fs.mkdirSync(mirror, { recursive: true });
      fs.writeFileSync(path.join(mirror, "objects.txt"), "shared objects\n");
      const sb = await make({ extraReadOnlyBinds: [{ hostPath: mirror, sandboxPath: mirror }] });
      const r = await sb.exec({ argv: sh(`cat ${mirror}/objects.txt; touch ${mirror}/x`), timeoutMs: 10_000 });
      expect(r.stdout).toBe("shared objects\n");
      expect(r.exitCode).not.toBe(0);
      expect(fs.existsSync(path.join(mirror, "x"))).toBe(false);
      await expect(make({ extraReadOnlyBinds: [{ hostPath: mirror, sandboxPath: "/workspace/.git" }] })).rejects.toThrow(SandboxUsageError);
    });
  });

  describe("availability", () => {
    it("reports ok here, and a clear message (and refusal) when bwrap is missing", async () => {
      expect(await checkSandboxAvailable()).toEqual({ ok: true });
      const missing = await checkSandboxAvailable({ bwrapPath: "/nonexistent/bwrap" });
      expect(missing.ok).toBe(false);
      if (!missing.ok) expect(missing.message).toContain("apt-get install bubblewrap");
      await expect(
        createBwrapSandbox({ workspaceDir: workspace, mode: "rw", network: "off", bwrapPath: "/nonexistent/bwrap" }),
      ).rejects.toThrow(SandboxUnavailableError);
      await expect(
        createBwrapSandbox({ workspaceDir: workspace, mode: "rw", network: "off", bwrapPath: "/nonexistent/bwrap" }),
      ).rejects.toThrow(/apt-get install bubblewrap/);
    });

    it.runIf(isRoot)("refuses to run the sandbox as host root", async () => {
      await expect(
        createBwrapSandbox({ workspaceDir: workspace, mode: "rw", network: "off", hostUser: { uid: 0, gid: 0 } }),
      ).rejects.toThrow(/uid\/gid 0/);
    });
  });
});
