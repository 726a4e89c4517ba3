import { lstat, mkdir, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RepoSpec } from "./fixture";
import { git, GitError } from "./git-cli";

/** Fixed identity and clock so that fixture commit SHAs are the same on every start. */
const AUTHOR = "Fixture <fixture@example.com>";
const BASE_TIME = 1704067200; // 2024-01-01T00:00:00Z

type Entry = { path: string; mode: "100644" | "100755" | "120000"; content: Buffer };

export function bareRepoPath(dataDir: string, fullName: string): string {
  return path.join(dataDir, `${fullName}.git`);
}

async function readTree(dir: string, prefix = ""): Promise<Entry[]> {
  const names = (await readdir(dir)).sort();
  const entries: Entry[] = [];
  for (const name of names) {
    if (name === ".git") continue;
    const abs = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = await lstat(abs);
    if (st.isDirectory()) entries.push(...(await readTree(abs, rel)));
    else if (st.isSymbolicLink()) entries.push({ path: rel, mode: "120000", content: Buffer.from(await readlink(abs)) });
    else if (st.isFile()) entries.push({ path: rel, mode: st.mode & 0o111 ? "100755" : "100644", content: await readFile(abs) });
  }
  return entries;
}

function data(buf: Buffer): Buffer[] {
  return [Buffer.from(`data ${buf.length}\n`), buf, Buffer.from("\n")];
}

function commitBlock(ref: string, time: number, message: string, from: string | null, entries: Entry[]): Buffer[] {
  const parts: Buffer[] = [
    Buffer.from(`commit ${ref}\nauthor ${AUTHOR} ${time} +0000\ncommitter ${AUTHOR} ${time} +0000\n`),
    ...data(Buffer.from(`${message}\n`)),
  ];
  if (from) parts.push(Buffer.from(`from ${from}\n`));
  for (const e of entries) {
    // Quoted paths keep spaces and odd characters safe in the fast-import stream.
    parts.push(Buffer.from(`M ${e.mode} inline ${JSON.stringify(e.path)}\n`), ...data(e.content));
  }
  return parts;
}

/** Creates (or re-creates) the bare repository for a fixture repo, with deterministic history. */
export async function createBareRepo(dataDir: string, spec: RepoSpec): Promise<string> {
  const dir = bareRepoPath(dataDir, spec.fullName);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  // The layout `git init --bare --template=` makes, written directly: one process fewer per repo.
  await Promise.all(["objects", "refs/heads", "refs/tags"].map((d) => mkdir(path.join(dir, d), { recursive: true })));
  await writeFile(path.join(dir, "HEAD"), `ref: refs/heads/${spec.defaultBranch}\n`);
  await writeFile(path.join(dir, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n");

  const initial: Entry[] = spec.sourceDir
    ? await readTree(spec.sourceDir)
    : [{ path: "README.md", mode: "100644", content: Buffer.from(spec.readme ?? `# ${spec.fullName.split("/")[1]}\n`) }];
  const stream: Buffer[] = commitBlock(`refs/heads/${spec.defaultBranch}`, BASE_TIME, "Initial commit", null, initial);
  spec.branches.forEach((b, i) => {
    const files: Entry[] = Object.entries(b.files).map(([p, c]) => ({ path: p, mode: "100644", content: Buffer.from(c) }));
    stream.push(...commitBlock(`refs/heads/${b.name}`, BASE_TIME + 3600 * (i + 1), b.message, `refs/heads/${b.from}`, files));
  });
  stream.push(Buffer.from("done\n"));
  await git(["fast-import", "--quiet", "--done"], { env: { GIT_DIR: dir }, input: Buffer.concat(stream) });
  return dir;
}

/** Branch name → commit SHA, read live from the bare repository. */
export async function readBranches(repoDir: string): Promise<Record<string, string>> {
  const out = await git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/"], { cwd: repoDir });
  const refs: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const m = /^refs\/heads\/(\S+) ([0-9a-f]{40})$/.exec(line);
    if (m) refs[m[1]] = m[2];
  }
  return refs;
}

/** The SHA a branch points at, or null when it does not exist. */
export async function branchSha(repoDir: string, branch: string): Promise<string | null> {
  if (!isSafeRefName(branch)) return null;
  try {
    return (await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], { cwd: repoDir })).trim() || null;
  } catch (e) {
    if (e instanceof GitError) return null;
    throw e;
  }
}

/** Resolves a branch name or a commit SHA to a commit SHA, or null. */
export async function resolveCommit(repoDir: string, rev: string): Promise<string | null> {
  if (/^[0-9a-f]{40}$/.test(rev)) {
    try {
      return (await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd: repoDir })).trim() || null;
    } catch {
      return null;
    }
  }
  return branchSha(repoDir, rev);
}

export async function setBranch(repoDir: string, branch: string, sha: string): Promise<void> {
  await git(["update-ref", `refs/heads/${branch}`, sha], { cwd: repoDir });
}

export async function deleteBranch(repoDir: string, branch: string): Promise<boolean> {
  if ((await branchSha(repoDir, branch)) === null) return false;
  await git(["update-ref", "-d", `refs/heads/${branch}`], { cwd: repoDir });
  return true;
}

/** True when `ancestor` is reachable from `descendant` (so descendant adds nothing over it if equal). */
export async function isAncestor(repoDir: string, ancestor: string, descendant: string): Promise<boolean> {
  try {
    await git(["merge-base", "--is-ancestor", ancestor, descendant], { cwd: repoDir });
    return true;
  } catch (e) {
    if (e instanceof GitError && e.code === 1) return false;
    throw e;
  }
}

/** A conservative subset of git's ref-name rules: enough to refuse option injection and traversal. */
export function isSafeRefName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length < 256 &&
    !name.startsWith("-") &&
    !name.startsWith("/") &&
    !name.endsWith("/") &&
    !name.endsWith(".lock") &&
    !name.includes("..") &&
    !name.includes("//") &&
    !name.includes("@{") &&
    !/[\x00-\x20~^:?*[\\\x7f]/.test(name)
  );
}
