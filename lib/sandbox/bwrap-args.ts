import "server-only";

import path from "node:path";

import { SandboxUsageError } from "./errors";
import { SANDBOX_WORKSPACE } from "./types";

/** uid/gid of the command inside the sandbox (unprivileged; mapped to the host user outside). */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
export const SANDBOX_HOME = "/tmp/home";

/** PATH used both inside the sandbox and to find setpriv/bwrap on the host (never the server's own PATH). */
export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const HOST_TOOL_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/** Environment of host-side helper processes (getent, useradd, setpriv, bwrap): nothing of the server's own env. */
export function hostToolEnv(): NodeJS.ProcessEnv {
  // Next.js types NODE_ENV as required on ProcessEnv; the helpers do not need it.
  return { PATH: HOST_TOOL_PATH } as unknown as NodeJS.ProcessEnv;
}

/**
 * Files of the host's /etc bound read-only (when they exist). Only what programs need to run: dynamic linker cache,
 * `alternatives` symlinks (awk, editor…), CA certificates, name-service switch config. Never /etc wholesale
 * (shadow, ssh keys, gitconfig, npmrc, pip.conf …).
 */
export const ETC_READONLY_FILES = [
  "/etc/alternatives",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/ssl/certs",
  "/etc/ssl/openssl.cnf",
  "/etc/ca-certificates",
  "/etc/ca-certificates.conf",
  "/etc/nsswitch.conf",
  "/etc/host.conf",
  "/etc/gai.conf",
  "/etc/protocols",
  "/etc/services",
  "/etc/localtime",
  "/etc/timezone",
  "/etc/os-release",
  "/etc/debian_version",
  "/etc/shells",
];

/** Where the egress proxy's socket appears inside, and the loopback port a bridge (socat) serves it on. */
export const SANDBOX_PROXY_SOCKET = "/run/patchbay/proxy.sock";
export const SANDBOX_PROXY_PORT = 3128;

/** Variables that point every proxy-aware client (curl, git, npm, pip, cargo…) at the bridge. */
export function proxyEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;
  const noProxy = "localhost,127.0.0.1,::1";
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, ALL_PROXY: url, NO_PROXY: noProxy, no_proxy: noProxy };
}

/** Where the runner's model gateway appears inside (engines that run in the sandbox reach the model there). */
export const SANDBOX_MODEL_SOCKET = "/run/patchbay/model.sock";
export const SANDBOX_MODEL_PORT = 3129;

/** A loopback port inside the sandbox served by a Unix socket bound in from the runner. */
export type SocketBridge = { port: number; socket: string };

/**
 * pid 1 with bridges: starts socat from 127.0.0.1:<port> (the sandbox's own loopback) to each bound socket, waits
 * until they listen (at most a second), then runs the command like PID1_SHELL.
 */
export function pid1ShellWithBridges(bridges: SocketBridge[]): string[] {
  if (bridges.length === 0) return PID1_SHELL;
  const start = bridges.map((b) => `socat TCP-LISTEN:${b.port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${b.socket} 2>/dev/null & `).join("");
  const ready = bridges.map((b) => `grep -q ' 0100007F:${b.port.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A' /proc/net/tcp`).join(" && ");
  return ["/bin/sh", "-c", `${start}i=0; while [ $i -lt 200 ] && ! { ${ready}; }; do i=$((i+1)); sleep 0.005; done; "$@"; exit $?`, "sh"];
}

/**
 * The sandbox's pid 1 (run with --as-pid-1): a shell that runs the command as an ordinary child (pid 1 ignores
 * signals it has no handler for; the command should not) and exits with its status (128+n when killed by signal n).
 * Not the last command of the script, so dash does not exec it in place.
 */
export const PID1_SHELL = ["/bin/sh", "-c", '"$@"; exit $?', "sh"];

/** Fixed variables every command sees; opts.env is layered on top of these. */
export function baseSandboxEnv(): Record<string, string> {
  return {
    PATH: SANDBOX_PATH,
    HOME: SANDBOX_HOME,
    USER: "sandbox",
    LOGNAME: "sandbox",
    SHELL: "/bin/bash",
    LANG: "C.UTF-8",
    TERM: "xterm-256color",
    TMPDIR: "/tmp",
    CI: "1",
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function mergeSandboxEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env = baseSandboxEnv();
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (!ENV_NAME.test(name)) throw new SandboxUsageError(`invalid environment variable name: ${JSON.stringify(name)}`);
    if (typeof value !== "string" || value.includes("\0")) {
      throw new SandboxUsageError(`invalid value for environment variable ${name}`);
    }
    env[name] = value;
  }
  return env;
}

/** Synthesized /etc files, so that uid 1000 has a name and nothing of the host's user list leaks. No resolv.conf:
 * a sandbox has no DNS (with the proxy, names are resolved by the proxy). */
export function syntheticEtcFiles(): Record<string, string> {
  const files: Record<string, string> = {
    passwd:
      "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n" +
      `sandbox:x:${SANDBOX_UID}:${SANDBOX_GID}:Patchbay sandbox:${SANDBOX_HOME}:/bin/bash\n` +
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    group: `root:x:0:\nsandbox:x:${SANDBOX_GID}:\nnogroup:x:65534:\n`,
    hosts: "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tsandbox\n",
  };
  return files;
}

/**
 * Resolve a request's cwd (relative to the workspace root, or absolute under /workspace) to the sandbox path.
 * Purely lexical: the chdir happens inside the sandbox, where only the sandbox's own view of the filesystem exists.
 */
export function resolveSandboxCwd(cwd: string | undefined): string {
  if (cwd === undefined || cwd === "" || cwd === ".") return SANDBOX_WORKSPACE;
  if (cwd.includes("\0")) throw new SandboxUsageError("cwd contains a NUL byte");
  const joined = path.posix.isAbsolute(cwd) ? path.posix.normalize(cwd) : path.posix.join(SANDBOX_WORKSPACE, cwd);
  const normalized = joined.length > 1 ? joined.replace(/\/+$/, "") : joined;
  if (normalized !== SANDBOX_WORKSPACE && !normalized.startsWith(`${SANDBOX_WORKSPACE}/`)) {
    throw new SandboxUsageError(`cwd must stay inside the workspace: ${JSON.stringify(cwd)}`);
  }
  return normalized;
}

export type BwrapArgsInput = {
  workspaceDir: string;
  mode: "rw" | "ro";
  network: "off" | "proxy";
  /** With network "proxy": the host path of the egress proxy's Unix socket. */
  proxySocket?: string;
  /** The runner's model gateway socket (bound at SANDBOX_MODEL_SOCKET), for engines that run in the sandbox. */
  modelSocket?: string;
  env: Record<string, string>;
  /** Host dir bound read-write at /tmp (per sandbox, removed by destroy). */
  hostTmpDir: string;
  /** Host dir bound read-only as /etc: copies of ETC_READONLY_FILES and the files of syntheticEtcFiles(). */
  hostEtcDir: string;
  cwd: string;
  extraReadOnlyBinds?: Array<{ hostPath: string; sandboxPath: string; writable?: boolean }>;
  command: string[];
  /** fd (inherited from the spawner) on which bwrap reports {"child-pid": …} (the sandbox's pid 1, host pid). */
  statusFd?: number;
  /** Pass --disable-userns (default true; false for bubblewrap < 0.8.0). */
  disableUserns?: boolean;
  /** Size of the sandbox's /dev/shm (a tmpfs of its own, so shared memory cannot fill the host's RAM). */
  shmBytes?: number;
};

/** Default size of the sandbox's /dev/shm. */
export const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;

/** The bwrap argument list (without the bwrap binary itself). */
export function buildBwrapArgs(input: BwrapArgsInput): string[] {
  const a: string[] = [
    "--unshare-all",
    "--unshare-user", // explicit (--unshare-all only *tries*); required by --disable-userns
    "--die-with-parent",
    "--new-session", // no TIOCSTI into the server's terminal
    // No bwrap reaper as pid 1: the outer bwrap then waits for the sandbox's pid 1 itself, so when it exits the
    // whole pid namespace is gone (with bwrap's reaper, the outer bwrap exits as soon as the reaper *reports* the
    // exit status, leaving the reaper to die orphaned). PID1_SHELL keeps ordinary signal semantics for the command.
    "--as-pid-1",
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_GID),
    "--hostname",
    "sandbox",
    "--cap-drop",
    "ALL",
  ];
  // No nested user namespaces, so the command never holds capabilities anywhere (bubblewrap >= 0.8.0).
  if (input.disableUserns !== false) a.splice(2, 0, "--disable-userns");

  a.push(
    "--ro-bind", "/usr", "/usr",
    "--symlink", "usr/bin", "/bin",
    "--symlink", "usr/sbin", "/sbin",
    "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64",
    "--proc", "/proc",
    "--dev", "/dev",
    "--perms", "1777", "--size", String(input.shmBytes ?? DEFAULT_SHM_BYTES), "--tmpfs", "/dev/shm",
    "--bind", input.hostTmpDir, "/tmp",
    "--dir", "/var",
    "--symlink", "../tmp", "/var/tmp",
  );
  // One bind for all of /etc (lib/sandbox/sandbox-etc.ts): bwrap reads the whole mount table at every bind.
  a.push("--ro-bind", input.hostEtcDir, "/etc");
  if (input.network === "proxy") {
    if (!input.proxySocket) throw new SandboxUsageError("network proxy needs the proxy's socket");
    a.push("--ro-bind", input.proxySocket, SANDBOX_PROXY_SOCKET);
  }
  if (input.modelSocket) a.push("--ro-bind", input.modelSocket, SANDBOX_MODEL_SOCKET);
  for (const bind of input.extraReadOnlyBinds ?? []) a.push(bind.writable ? "--bind" : "--ro-bind", bind.hostPath, bind.sandboxPath);
  a.push(input.mode === "rw" ? "--bind" : "--ro-bind", input.workspaceDir, SANDBOX_WORKSPACE);
  a.push("--remount-ro", "/");
  a.push("--chdir", input.cwd, "--clearenv");
  for (const [name, value] of Object.entries(input.env)) a.push("--setenv", name, value);
  if (input.statusFd !== undefined) a.push("--json-status-fd", String(input.statusFd));
  a.push("--", ...input.command);
  return a;
}

/**
 * Splits a bwrap argument list into its options (sent through `--args <fd>`, so that no variable value, path or
 * secret shows in /proc/<pid>/cmdline, which every host user can read) and the command (which stays on the
 * command line: bubblewrap reads only options from the fd).
 */
export function splitBwrapArgs(args: string[]): { options: string[]; command: string[] } {
  const end = args.indexOf("--");
  if (end < 0) throw new SandboxUsageError("bwrap arguments without a command");
  return { options: args.slice(0, end), command: args.slice(end + 1) };
}

/** The child's fd from which bwrap reads its NUL-separated options (`--args`). */
export const ARGS_FD = 4;

/**
 * Host-side launcher, run as the server's user right before setpriv/bwrap: joins the attempt's control group(s)
 * (the files come first, up to `--`), closes every descriptor but stdio, bwrap's status fd and its options fd (a
 * server may have inherited descriptors without close-on-exec from whatever started it; none may reach a
 * sandbox), then execs the rest. Arguments only, no interpolation.
 */
export const LAUNCHER = [
  "/bin/bash",
  // No rc files: with a socket on stdin bash would otherwise read the host user's ~/.bashrc (rsh detection).
  "--norc",
  "--noprofile",
  "-c",
  'while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do echo "$$" > "$1" || exit 125; shift; done; shift; ' +
    'for f in /proc/$$/fd/*; do n=${f##*/}; case "$n" in 0|1|2|3|4) ;; *) eval "exec $n>&-" ;; esac; done; ' +
    'exec "$@"',
  "patchbay-launch",
];

export function launcherPrefix(cgroupProcsFiles: string[]): string[] {
  return [...LAUNCHER, ...cgroupProcsFiles, "--"];
}

/**
 * When the server runs as root, drop to the unprivileged host user before bwrap, so that even a sandbox escape is
 * not root on the host, and RLIMIT_NPROC applies. Empty when not root (bwrap then runs as the current user).
 */
export function setprivPrefix(hostUser: { uid: number; gid: number } | null): string[] {
  if (!hostUser) return [];
  return [
    "setpriv",
    `--reuid=${hostUser.uid}`,
    `--regid=${hostUser.gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
  ];
}
