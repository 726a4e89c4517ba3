import { describe, expect, it } from "vitest";

import {
  LAUNCHER,
  SANDBOX_PATH,
  buildBwrapArgs,
  launcherPrefix,
  splitBwrapArgs,
  mergeSandboxEnv,
  resolveSandboxCwd,
  setprivPrefix,
  type BwrapArgsInput,
} from "./bwrap-args";
import { SandboxUsageError } from "./errors";
import { prlimitPrefix, resolveLimits } from "./limits";
import { CappedOutput } from "./output";

const base: BwrapArgsInput = {
  workspaceDir: "/srv/patchbay/work/attempt-1",
  mode: "rw",
  network: "off",
  env: mergeSandboxEnv({ FOO: "bar" }),
  hostTmpDir: "/tmp/patchbay-sandbox-x/tmp",
  hostEtcDir: "/srv/patchbay/data/sandbox-etc/patchbay-etc-0123456789abcdef",
  cwd: "/workspace",
  command: ["echo", "hi"],
};

/** Pairs (source, dest) of every bind-like option. */
function binds(args: string[]): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  const end = args.indexOf("--");
  for (let i = 0; i < end; i++) {
    if (/^--(ro-)?bind(-try)?$|^--dev-bind/.test(args[i])) out.push([args[i], args[i + 1], args[i + 2]]);
  }
  return out;
}

describe("buildBwrapArgs", () => {
  it("isolates every namespace, drops privileges and clears the environment", () => {
    const args = buildBwrapArgs(base);
    for (const flag of ["--as-pid-1", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--clearenv"]) {
      expect(args).toContain(flag);
    }
    expect(args.join(" ")).toContain("--uid 1000 --gid 1000");
    expect(args.join(" ")).toContain("--hostname sandbox");
    expect(args).not.toContain("--share-net");
    expect(args.slice(args.indexOf("--") + 1)).toEqual(["echo", "hi"]);
    expect(args.join(" ")).toContain(`--setenv PATH ${SANDBOX_PATH}`);
    expect(args.join(" ")).toContain("--setenv FOO bar");
    // --clearenv must come before the --setenv options
    expect(args.indexOf("--clearenv")).toBeLessThan(args.indexOf("--setenv"));
  });

  it("binds only /usr, the prepared /etc folder (whole, read-only), the checkout and the sandbox's own /tmp", () => {
    const all = binds(buildBwrapArgs(base));
    const sources = all.map(([, src]) => src);
    for (const forbidden of ["/", "/root", "/home", "/work", "/var", "/etc", "/srv", "/srv/patchbay", "/tmp"]) {
      expect(sources).not.toContain(forbidden);
    }
    for (const [, src] of all) {
      const allowed = src === "/usr" || src === base.workspaceDir || src === base.hostTmpDir || src === base.hostEtcDir;
      expect(allowed, src).toBe(true);
    }
    expect(all).toContainEqual(["--ro-bind", "/usr", "/usr"]);
    expect(all).toContainEqual(["--bind", base.workspaceDir, "/workspace"]);
    expect(all).toContainEqual(["--ro-bind", base.hostEtcDir, "/etc"]);
    // One bind for /etc: bwrap reads the whole mount table at each bind.
    expect(all.filter(([, , dest]) => dest === "/etc" || dest.startsWith("/etc/"))).toHaveLength(1);
  });

  it("binds the checkout read-only in Ask mode", () => {
    const all = binds(buildBwrapArgs({ ...base, mode: "ro" }));
    expect(all).toContainEqual(["--ro-bind", base.workspaceDir, "/workspace"]);
    expect(all.some(([flag, src]) => flag === "--bind" && src === base.workspaceDir)).toBe(false);
  });

  it("never shares the host's network: with the proxy only its socket is bound in, and there is no resolv.conf", () => {
    for (const network of ["off", "proxy"] as const) {
      const args = buildBwrapArgs({ ...base, network, proxySocket: "/srv/patchbay/work/a/egress-agent.sock" });
      expect(args).not.toContain("--share-net");
      expect(args).toContain("--unshare-all");
      expect(binds(args).map(([, src]) => src)).not.toContain("/etc/resolv.conf");
    }
    const args = buildBwrapArgs({ ...base, network: "proxy", proxySocket: "/srv/patchbay/work/a/egress-agent.sock" });
    expect(binds(args)).toContainEqual(["--ro-bind", "/srv/patchbay/work/a/egress-agent.sock", "/run/patchbay/proxy.sock"]);
    expect(() => buildBwrapArgs({ ...base, network: "proxy" })).toThrow(SandboxUsageError);
  });
});

describe("resolveSandboxCwd", () => {
  it("maps relative paths into /workspace", () => {
    expect(resolveSandboxCwd(undefined)).toBe("/workspace");
    expect(resolveSandboxCwd(".")).toBe("/workspace");
    expect(resolveSandboxCwd("src/lib/")).toBe("/workspace/src/lib");
    expect(resolveSandboxCwd("a/../b")).toBe("/workspace/b");
    expect(resolveSandboxCwd("/workspace/pkg")).toBe("/workspace/pkg");
  });

  it("rejects paths leaving the workspace", () => {
    for (const bad of ["..", "../attempt-2", "a/../../etc", "/etc", "/workspace2", "/", "a\0b"]) {
      expect(() => resolveSandboxCwd(bad), bad).toThrow(SandboxUsageError);
    }
  });
});

describe("env, limits and host user", () => {
  it("lets opts.env override the fixed variables and rejects bad names", () => {
    const env = mergeSandboxEnv({ PATH: "/workspace/.venv/bin:/usr/bin", X: "1" });
    expect(env.PATH).toBe("/workspace/.venv/bin:/usr/bin");
    expect(env).toMatchObject({ HOME: "/tmp/home", LANG: "C.UTF-8", TERM: "xterm-256color", CI: "1", X: "1" });
    expect(() => mergeSandboxEnv({ "A=B": "x" })).toThrow(SandboxUsageError);
    expect(() => mergeSandboxEnv({ A: "x\0y" })).toThrow(SandboxUsageError);
  });

  it("builds prlimit and setpriv prefixes", () => {
    expect(prlimitPrefix(resolveLimits({ maxProcesses: 64, maxFileBytes: 1024, cpuSeconds: 5 }))).toEqual([
      "/usr/bin/prlimit",
      "--nproc=64",
      "--fsize=1024",
      "--cpu=5:6",
      "--",
    ]);
    expect(resolveLimits(undefined)).toMatchObject({ maxProcesses: 1024, maxOutputBytes: 1024 * 1024 });
    expect(() => resolveLimits({ maxProcesses: 0 })).toThrow(SandboxUsageError);
    expect(setprivPrefix(null)).toEqual([]);
    expect(setprivPrefix({ uid: 999, gid: 995 })).toEqual([
      "setpriv",
      "--reuid=999",
      "--regid=995",
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
      "--",
    ]);
  });
});

describe("what reaches the host's process table", () => {
  it("keeps options (variable values, paths) off the command line: they go through --args", () => {
    const { options, command } = splitBwrapArgs(buildBwrapArgs({ ...base, env: mergeSandboxEnv({ TOKEN: "v4lue" }) }));
    expect(options.join(" ")).toContain("--setenv TOKEN v4lue");
    expect(command).toEqual(["echo", "hi"]);
    expect(command.join(" ")).not.toContain("v4lue");
  });

  it("gives the sandbox a /dev/shm of its own, sized", () => {
    expect(buildBwrapArgs(base).join(" ")).toContain("--perms 1777 --size 67108864 --tmpfs /dev/shm");
    expect(buildBwrapArgs({ ...base, shmBytes: 1024 }).join(" ")).toContain("--size 1024 --tmpfs /dev/shm");
  });

  it("launches through a script that joins the cgroup files given and closes stray descriptors", () => {
    expect(launcherPrefix(["/sys/fs/cgroup/x/cgroup.procs"])).toEqual([...LAUNCHER, "/sys/fs/cgroup/x/cgroup.procs", "--"]);
    expect(LAUNCHER[4]).toContain('case "$n" in 0|1|2|3|4) ;;');
    expect(LAUNCHER.slice(0, 4)).toEqual(["/bin/bash", "--norc", "--noprofile", "-c"]);
  });
});

describe("CappedOutput", () => {
  it("keeps at most maxBytes, counts the rest, and never splits a character", () => {
    const seen: string[] = [];
    const out = new CappedOutput(5, (t) => seen.push(t));
    out.push(Buffer.from("abcé")); // 5 bytes: fits exactly
    out.push(Buffer.from("€uro")); // discarded
    expect(out.end()).toBe("abcé");
    expect(out.totalBytes).toBe(5 + 6);
    expect(out.truncated).toBe(true);

    const cut = new CappedOutput(4);
    cut.push(Buffer.from("abcé")); // é would straddle the cap: dropped whole
    expect(cut.end()).toBe("abc");

    const split = new CappedOutput(100, (t) => seen.push(t));
    const bytes = Buffer.from("é€");
    split.push(bytes.subarray(0, 1));
    split.push(bytes.subarray(1, 3));
    split.push(bytes.subarray(3));
    expect(split.end()).toBe("é€");
    expect(seen.join("")).not.toContain("\uFFFD");
  });
});
