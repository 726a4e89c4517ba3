import "server-only";

import fsSync, { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import {
  SANDBOX_HOME,
  SANDBOX_MODEL_PORT,
  SANDBOX_MODEL_SOCKET,
  SANDBOX_PROXY_PORT,
  SANDBOX_PROXY_SOCKET,
  pid1ShellWithBridges,
  ARGS_FD,
  proxyEnv,
  buildBwrapArgs,
  hostToolEnv,
  launcherPrefix,
  mergeSandboxEnv,
  resolveSandboxCwd,
  setprivPrefix,
  splitBwrapArgs,
} from "./bwrap-args";
import { SandboxError, SandboxUnavailableError, SandboxUsageError } from "./errors";
import { STATUS_FD, runProcess, type RunningProcess } from "./exec";
import { runHostCommand } from "./host-command";
import { resolveHostUser, type HostUser } from "./host-user";
import { prlimitPrefix, resolveLimits } from "./limits";
import { sandboxEtcDir } from "./sandbox-etc";
import {
  SANDBOX_WORKSPACE,
  type ExecRequest,
  type Sandbox,
  type SandboxAvailability,
  type SandboxOptions,
  type StartedCommand,
  type StartRequest,
} from "./types";

/** A word for `sh -c`: single-quoted, with embedded single quotes closed and escaped. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

const INSTALL_HINT = "install it with `apt-get install bubblewrap` (Debian/Ubuntu)";
const USERNS_HINT =
  "bubblewrap needs unprivileged user namespaces: check `sysctl user.max_user_namespaces` (> 0), " +
  "`kernel.unprivileged_userns_clone=1` (older Debian kernels), `kernel.apparmor_restrict_unprivileged_userns=0` " +
  "(Ubuntu 24.04+), and, in a container, a seccomp/AppArmor profile that allows unshare/mount";

type ProbeOutcome = { code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException };

async function run(file: string, args: string[], timeoutMs = 10_000): Promise<ProbeOutcome> {
  try {
    const r = await runHostCommand(file, args, { env: hostToolEnv(), timeoutMs });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    return { code: null, stdout: "", stderr: "", error: cause ?? (err as NodeJS.ErrnoException) };
  }
}

/** Probe user when root and no host user is given: nobody, to check that an unprivileged user can sandbox. */
const NOBODY: HostUser = { uid: 65534, gid: 65534 };

/**
 * Is bubblewrap usable here, as the user sandboxes will run as? Runs a tiny sandbox (`true`). Never suggests
 * running without a sandbox.
 */
export async function checkSandboxAvailable(
  opts: { bwrapPath?: string; hostUser?: HostUser } = {},
): Promise<SandboxAvailability> {
  const probed = await probeBwrap(opts);
  return probed.ok ? { ok: true } : probed;
}

type Probe = { ok: true; disableUserns: boolean } | { ok: false; message: string };

/** bubblewrap >= 0.8.0 knows --disable-userns. */
function supportsDisableUserns(versionOutput: string): boolean {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 0 || minor >= 8;
}

async function probeBwrap(opts: { bwrapPath?: string; hostUser?: HostUser }): Promise<Probe> {
  const bwrap = opts.bwrapPath ?? "bwrap";
  const version = await run(bwrap, ["--version"]);
  if (version.error?.code === "ENOENT" || version.error?.code === "EACCES") {
    return { ok: false, message: `bubblewrap (${bwrap}) was not found; ${INSTALL_HINT}.` };
  }
  if (version.code !== 0) {
    return { ok: false, message: `\`${bwrap} --version\` failed: ${version.stderr.trim() || version.error?.message}; ${INSTALL_HINT}.` };
  }
  try {
    await fs.access("/usr/bin/prlimit", fsConstants.X_OK);
  } catch {
    return { ok: false, message: "/usr/bin/prlimit (util-linux) is missing; install it with `apt-get install util-linux`." };
  }

  const isRoot = process.getuid?.() === 0;
  const prefix = isRoot ? setprivPrefix(opts.hostUser ?? NOBODY) : [];
  const disableUserns = supportsDisableUserns(version.stdout);
  const probeArgs = [
    ...(disableUserns ? ["--disable-userns"] : []),
    "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--as-pid-1",
    "--uid", "1000", "--gid", "1000",
    "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
    "--", "/usr/bin/true",
  ];
  const [file, ...args] = [...prefix, bwrap, ...probeArgs];
  const probe = await run(file, args);
  if (probe.error?.code === "ENOENT") {
    return { ok: false, message: `${file} was not found; install util-linux (setpriv) and bubblewrap: ${INSTALL_HINT}.` };
  }
  if (probe.code !== 0) {
    const who = isRoot ? `host uid ${(opts.hostUser ?? NOBODY).uid}` : `uid ${process.getuid?.()}`;
    return {
      ok: false,
      message: `bubblewrap cannot create a sandbox as ${who}: ${probe.stderr.trim() || probe.error?.message || `exit ${probe.code}`}. ${USERNS_HINT}.`,
    };
  }
  return { ok: true, disableUserns };
}

const availability = new Map<string, Promise<Probe>>();

function cachedProbe(bwrapPath: string, hostUser: HostUser | null): Promise<Probe> {
  const key = `${bwrapPath}\0${hostUser?.uid ?? ""}:${hostUser?.gid ?? ""}`;
  let entry = availability.get(key);
  if (!entry) {
    entry = probeBwrap({ bwrapPath, hostUser: hostUser ?? undefined });
    availability.set(key, entry);
    // Only remember successes: an admin may install bubblewrap while the server runs.
    void entry.then((r) => {
      if (!r.ok) availability.delete(key);
    });
  }
  return entry;
}

async function removeTree(dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch {
    // Not root and the sandbox made a directory unwritable (chmod 000): restore owner permissions, retry.
    await makeWritable(dir);
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 2 });
  }
}

/**
 * Removes `dir` synchronously when it holds at most `max` entries, as a sandbox's scratch usually does (its etc
 * files, an empty home): the thread pool's round trips of fs.rm cost ~1.5 ms of CPU for those. False, with part of
 * it removed, when it holds more or anything fails: removeTree does the rest. Only after every command of the
 * sandbox has ended (nothing inside can swap a directory for a link meanwhile); Dirent types never follow links.
 */
function removeSmallTree(dir: string, max = 64): boolean {
  let left = max;
  const walk = (d: string): boolean => {
    for (const entry of fsSync.readdirSync(d, { withFileTypes: true })) {
      if (--left < 0) return false;
      const p = path.join(d, entry.name);
      if (!entry.isDirectory()) fsSync.unlinkSync(p);
      else if (walk(p)) fsSync.rmdirSync(p);
      else return false;
    }
    return true;
  };
  try {
    if (!walk(dir)) return false;
    fsSync.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o700).catch(() => {});
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await makeWritable(path.join(dir, entry.name)); // Dirent: never follows symlinks
  }
}

async function validateWorkspace(dir: string): Promise<string> {
  if (!path.isAbsolute(dir)) throw new SandboxUsageError(`workspaceDir must be absolute: ${dir}`);
  const real = await fs.realpath(dir).catch((error: unknown) => {
    throw new SandboxUsageError(`workspaceDir does not exist: ${dir}`, { cause: error });
  });
  const stat = await fs.stat(real);
  if (!stat.isDirectory()) throw new SandboxUsageError(`workspaceDir is not a directory: ${dir}`);
  if (real === "/") throw new SandboxUsageError("workspaceDir must not be /");
  return real;
}

const RESERVED_SANDBOX_PATHS = ["/", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/proc", "/dev", "/tmp", "/etc", SANDBOX_WORKSPACE];

function validateExtraBinds(binds: SandboxOptions["extraReadOnlyBinds"]): Array<{ hostPath: string; sandboxPath: string; writable?: boolean }> {
  return (binds ?? []).map(({ hostPath, sandboxPath, writable }) => {
    if (!path.isAbsolute(hostPath) || !path.posix.isAbsolute(sandboxPath)) {
      throw new SandboxUsageError("extraReadOnlyBinds paths must be absolute");
    }
    const target = path.posix.normalize(sandboxPath).replace(/\/+$/, "") || "/";
    if (RESERVED_SANDBOX_PATHS.includes(target) || target.startsWith(`${SANDBOX_WORKSPACE}/`) || target.startsWith("/proc/") || target.startsWith("/dev/")) {
      throw new SandboxUsageError(`extraReadOnlyBinds may not cover ${target}`);
    }
    return { hostPath: path.resolve(hostPath), sandboxPath: target, writable: writable === true };
  });
}

/**
 * A bubblewrap sandbox around one attempt's checkout. Every exec is a fresh bwrap (fresh pid namespace), sharing
 * the checkout and a per-sandbox /tmp (with HOME=/tmp/home) that destroy() removes.
 *
 * Host side: when the server is root every bwrap runs via `setpriv` as an unprivileged host user
 * (opts.hostUser ?? ensureSandboxUser()); the caller chowns the checkout to that user beforehand.
 */
export async function createBwrapSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const bwrapPath = opts.bwrapPath ?? "bwrap";
  if (opts.mode !== "rw" && opts.mode !== "ro") throw new SandboxUsageError(`invalid mode: ${String(opts.mode)}`);
  if (opts.network !== "off" && opts.network !== "proxy") throw new SandboxUsageError(`invalid network: ${String(opts.network)}`);
  if (opts.network === "proxy" && !opts.proxySocket) throw new SandboxUsageError("network proxy needs proxySocket");
  const workspaceDir = await validateWorkspace(opts.workspaceDir);
  const limits = resolveLimits(opts.limits);
  const env = mergeSandboxEnv({
    ...(opts.network === "proxy" ? proxyEnv() : {}),
    ...(opts.modelSocket ? { PATCHBAY_MODEL_URL: `http://127.0.0.1:${SANDBOX_MODEL_PORT}` } : {}),
    ...opts.env,
  });
  const extraBinds = validateExtraBinds(opts.extraReadOnlyBinds);
  const hostUser = await resolveHostUser(opts.hostUser);

  const available = await cachedProbe(bwrapPath, hostUser);
  if (!available.ok) throw new SandboxUnavailableError(available.message);
  const disableUserns = available.disableUserns;

  // Scratch layout: <scratch> (0711, ours) / tmp (0700, host user: the sandbox's /tmp; HOME=/tmp/home)
  // The sandbox's /etc is a folder shared by every sandbox (lib/sandbox/sandbox-etc.ts).
  // Synchronous: a handful of metadata operations on a fresh local folder (~10 µs each), where the thread pool's
  // round trips cost ~2 ms of CPU a sandbox, and an attempt makes several sandboxes.
  const scratch = fsSync.mkdtempSync(path.join(opts.scratchParentDir ?? os.tmpdir(), "patchbay-sandbox-"));
  try {
    fsSync.chmodSync(scratch, 0o711);
    const etcDir = sandboxEtcDir(opts.etcParentDir ?? os.tmpdir());
    const tmpDir = path.join(scratch, "tmp");
    const homeDir = path.join(tmpDir, path.posix.relative("/tmp", SANDBOX_HOME));
    fsSync.mkdirSync(homeDir, { recursive: true, mode: 0o700 });
    fsSync.chmodSync(tmpDir, 0o700);
    if (hostUser) {
      fsSync.chownSync(tmpDir, hostUser.uid, hostUser.gid);
      fsSync.chownSync(homeDir, hostUser.uid, hostUser.gid);
    }

    const running = new Set<RunningProcess>();
    let destroyed = false;
    const hostEnv = hostToolEnv();
    const cgroup = opts.cgroup ?? null;
    const prefix = [...launcherPrefix(cgroup?.procsFiles ?? []), ...setprivPrefix(hostUser)];
    const limitPrefix = prlimitPrefix(limits, { perProcessMemory: cgroup === null });
    const pid1 = pid1ShellWithBridges([
      ...(opts.network === "proxy" ? [{ port: SANDBOX_PROXY_PORT, socket: SANDBOX_PROXY_SOCKET }] : []),
      ...(opts.modelSocket ? [{ port: SANDBOX_MODEL_PORT, socket: SANDBOX_MODEL_SOCKET }] : []),
    ]);

    const sandbox: Sandbox = {
      exec: (req) => launch(req, false).then((p) => p.result),

      async start(req: StartRequest): Promise<StartedCommand> {
        const stop = new AbortController();
        const signal = req.signal ? AbortSignal.any([req.signal, stop.signal]) : stop.signal;
        const tty = req.tty === true;
        // On a terminal: `script` runs the command on a new pty of the sandbox's own devpts and relays it.
        const argv = tty ? ["script", "-qefc", req.argv.map(shellQuote).join(" "), "/dev/null"] : req.argv;
        const proc = await launch({ ...req, argv, signal }, true);
        return { tty, write: (chars) => proc.write(chars), kill: () => stop.abort(), result: proc.result };
      },

      async destroy(): Promise<void> {
        if (destroyed) return;
        destroyed = true;
        const pending = [...running];
        for (const proc of pending) proc.kill();
        await Promise.allSettled(pending.map((proc) => proc.result));
        if (!removeSmallTree(scratch)) await removeTree(scratch);
      },
    };

    async function launch(req: ExecRequest, interactive: boolean): Promise<RunningProcess> {
      if (destroyed) throw new SandboxError("sandbox was destroyed");
      if (!Array.isArray(req.argv) || req.argv.length === 0 || req.argv[0] === "") {
        throw new SandboxUsageError("argv must be a non-empty array");
      }
      if (req.argv.some((arg) => typeof arg !== "string" || arg.includes("\0"))) {
        throw new SandboxUsageError("argv entries must be strings without NUL bytes");
      }
      const args = buildBwrapArgs({
        workspaceDir,
        mode: opts.mode,
        network: opts.network,
        proxySocket: opts.proxySocket,
        modelSocket: opts.modelSocket,
        env,
        hostTmpDir: tmpDir,
        hostEtcDir: etcDir,
        cwd: resolveSandboxCwd(req.cwd),
        extraReadOnlyBinds: extraBinds,
        command: [...limitPrefix, ...pid1, ...req.argv],
        statusFd: STATUS_FD,
        disableUserns,
      });
      // Options (variables, paths) travel through a pipe, never on a command line.
      const { options, command } = splitBwrapArgs(args);
      const [file, ...rest] = [...prefix, bwrapPath, "--args", String(ARGS_FD), "--", ...command];
      const oomBefore = cgroup ? await cgroup.oomKills() : 0;
      const proc = runProcess({
        file,
        args: rest,
        env: hostEnv,
        timeoutMs: req.timeoutMs,
        signal: req.signal,
        stdin: req.stdin,
        interactive,
        onOutput: req.onOutput,
        maxOutputBytes: limits.maxOutputBytes,
        argsData: Buffer.from(options.map((o) => `${o}\0`).join(""), "utf8"),
        stdoutSink: req.stdoutSink,
        maxStdoutBytes: req.maxStdoutBytes,
      });
      running.add(proc);
      const result = proc.result.then(
        async (r) => {
          if (cgroup && (await cgroup.oomKills()) > oomBefore) r.oomKilled = true;
          return r;
        },
      );
      void result.finally(() => running.delete(proc)).catch(() => undefined);
      return { ...proc, result };
    }
    return sandbox;
  } catch (error) {
    await removeTree(scratch).catch(() => {});
    throw error;
  }
}
