import { spawn } from "node:child_process";
import { CliError, EXIT, usage } from "./errors.mjs";

/** Runs git without prompts, returning its output whatever its exit code. */
export function git(args, { cwd, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
    child.on("error", (err) =>
      reject(err.code === "ENOENT" ? new CliError("git is not installed (or not on PATH).", EXIT.USAGE, { code: "no_git" }) : err),
    );
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.on("error", () => {}); // git may exit before reading everything
    child.stdin.end(input ?? "");
  });
}

async function gitOut(args, cwd) {
  const r = await git(args, { cwd });
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * owner/name from a git remote URL, or null when it is not one of a GitHub-like host: https and http (a GitHub
 * Enterprise Server under a path prefix too), ssh:// and git://, and scp-like `git@host:owner/name.git`.
 */
export function repoFromRemote(remote) {
  const url = String(remote ?? "").trim();
  if (!url) return null;
  let pathPart;
  let host;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(url);
  if (!url.includes("://") && scp) {
    host = scp[1];
    pathPart = scp[2];
  } else {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (!["https:", "http:", "ssh:", "git:", "git+ssh:", "ssh+git:"].includes(parsed.protocol)) return null;
    host = parsed.hostname;
    pathPart = decodeURIComponent(parsed.pathname);
  }
  const segments = pathPart.replace(/\/+$/, "").replace(/\.git$/, "").split("/").filter(Boolean);
  if (segments.length < 2 || !host) return null;
  const [owner, name] = segments.slice(-2);
  const valid = /^[A-Za-z0-9_.-]{1,100}$/;
  if (!valid.test(owner) || !valid.test(name)) return null;
  return { host, fullName: `${owner}/${name}` };
}

/**
 * The repository and branch of the checkout in `cwd`, as GitHub knows them: the current branch's upstream (remote
 * and branch) when it has one; else the branch of the same name on `origin` (or the only remote); on a detached
 * HEAD, the remote's default branch. `warnings` say what a person may not expect (local commits not pushed…).
 */
export async function detectCheckout(cwd) {
  const root = await gitOut(["rev-parse", "--show-toplevel"], cwd);
  if (!root) return null;
  const warnings = [];
  const remotes = ((await gitOut(["remote"], root)) ?? "").split("\n").filter(Boolean);
  const current = await gitOut(["symbolic-ref", "--quiet", "--short", "HEAD"], root);
  let remote = null;
  let branch = null;
  if (current) {
    const upRemote = await gitOut(["config", "--get", `branch.${current}.remote`], root);
    const upMerge = await gitOut(["config", "--get", `branch.${current}.merge`], root);
    if (upRemote && upRemote !== "." && upMerge?.startsWith("refs/heads/")) {
      remote = upRemote;
      branch = upMerge.slice("refs/heads/".length);
      const ahead = await gitOut(["rev-list", "--count", "@{upstream}..HEAD"], root);
      if (ahead && Number(ahead) > 0) {
        warnings.push(`${ahead} local commit${ahead === "1" ? " is" : "s are"} not pushed to ${remote}/${branch}: the task starts from ${branch} as GitHub has it.`);
      }
    } else {
      remote = remotes.includes("origin") ? "origin" : remotes.length === 1 ? remotes[0] : null;
      branch = current;
      if (remote) warnings.push(`${current} has no upstream branch: the task runs on ${current} as ${remote} has it (push it first if you have not).`);
    }
  } else {
    remote = remotes.includes("origin") ? "origin" : remotes.length === 1 ? remotes[0] : null;
    const head = remote ? await gitOut(["symbolic-ref", "--quiet", "--short", `refs/remotes/${remote}/HEAD`], root) : null;
    if (head?.startsWith(`${remote}/`)) branch = head.slice(remote.length + 1);
  }
  const url = remote ? await gitOut(["remote", "get-url", remote], root) : null;
  const repo = url ? repoFromRemote(url) : null;
  return { root, remote, remoteUrl: url, repo: repo?.fullName ?? null, host: repo?.host ?? null, branch, warnings };
}

/** Applies a patch to the checkout at `root` — all of it, or (on any conflict) nothing — explaining a refusal. */
export async function applyPatch({ root, patch }) {
  const args = ["apply", "--whitespace=nowarn"];
  const check = await git([...args, "--check", "-"], { cwd: root, input: patch });
  if (check.code !== 0) {
    const reasons = check.stderr
      .split("\n")
      .map((l) => l.replace(/^error: /, "").trim())
      .filter(Boolean)
      .slice(0, 12);
    return { applied: false, reasons };
  }
  const done = await git([...args, "-"], { cwd: root, input: patch });
  if (done.code !== 0) return { applied: false, reasons: done.stderr.split("\n").filter(Boolean) };
  return { applied: true, reasons: [] };
}

export async function requireCheckout(cwd) {
  const checkout = await detectCheckout(cwd);
  if (!checkout) throw usage("This is not inside a git checkout. Run it in a clone of the repository, or pass --repo and --branch.");
  return checkout;
}
