import "server-only";
import { PassThrough } from "node:stream";
import { createBwrapSandbox, type SandboxOptions } from "@/lib/sandbox";
import { SANDBOX_GIT_ENV } from "./sandbox-git";
import { git, GitError } from "./git";
import { SNAPSHOT_REF } from "./workspace";

/**
 * The snapshot of a turn: what the checkout holds, as a commit on top of the base commit, in Patchbay's own host
 * repository. The checkout is hostile (the agent shaped every file, symlink, attribute and nested `.git` in it),
 * so nothing on the host ever walks it:
 *
 * 1. Inside a sandbox (the attempt's, as the unprivileged sandbox user, no network, the git dir read-only), git
 *    stages the checkout into a throwaway repository under the sandbox's /tmp, with a config of Patchbay's and
 *    hooks off. Nested repositories (any `.git` below the root, directory or file, wherever it points) are left
 *    out whole and reported, so no gitlink is ever recorded behind the person's back.
 * 2. The new objects leave the sandbox as a pack on stdout; the host's `git index-pack --strict` (made for packs
 *    from untrusted remotes) verifies every object before it lands in the host repository.
 * 3. The host checks the commit (one parent, the base) and that no gitlink was added or changed.
 *
 * What the diff shows is then computed from the host repository, and Create PR commits exactly this tree.
 */

export type Snapshot = { commit: string; tree: string; leftOut: string[] };

export class SnapshotError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SnapshotError";
  }
}

/** Largest pack of changes a turn may produce. */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;
const STEP_TIMEOUT_MS = 5 * 60_000;

const REPORT_START = "@@patchbay-snapshot-report@@";
const REPORT_END = "@@patchbay-snapshot-report-end@@";

/**
 * One sandboxed step: stages the checkout (the git dir's index copied for its stat cache, so only changed files
 * are hashed), reports on stderr `<commit>\n`, the nested repositories (NUL-separated), `\0--\0` and those of
 * them that are git-ignored anyway, then writes the pack of the new objects to stdout. $1 = the base commit,
 * $2 = the prepared commit (optional).
 */
const STAGE_SCRIPT = `set -eu
S=/tmp/patchbay-snapshot
rm -rf "$S.git" "$S.index" "$S.nested"
git init -q --bare --template= "$S.git"
echo /workspace-git/objects > "$S.git/objects/info/alternates"
# Over a prepared environment: its objects, and the index that describes its files (nothing is hashed twice).
if [ -d /prepared-objects ]; then echo /prepared-objects >> "$S.git/objects/info/alternates"; fi
if [ -f /prepared/index ]; then cp /prepared/index "$S.index"; elif [ -f /workspace-git/index ]; then cp /workspace-git/index "$S.index"; fi
export GIT_DIR="$S.git" GIT_WORK_TREE=/workspace GIT_INDEX_FILE="$S.index"
cd /workspace
# One walk: only what git could not read gets a mode change (a blanket chmod -R would copy every file up in an
# overlay; a directory is fixed before find goes into it), and every nested .git (below the top) is listed, not
# entered.
find . \\( -type d ! -perm -u=rx -exec chmod u+rx {} \\; \\) , \\( ! -type d ! -type l ! -perm -u=r -exec chmod u+r {} + \\) , \\
  \\( -path './*/.git' -prune -printf '%P\\0' \\) 2>/dev/null | sed -z 's#/\\.git$##' > "$S.nested" || true
{ printf '.\\0:(exclude,literal,top).git\\0'; if [ -s "$S.nested" ]; then sed -z 's#^#:(exclude,literal,top)#' "$S.nested"; fi; } |
  git add -A --pathspec-from-file=- --pathspec-file-nul
tree=$(git write-tree)
commit=$(git commit-tree "$tree" -p "$1" -m "Patchbay snapshot")
# Building a cache entry: keep the index for the attempts that will start from it.
if [ -d /prepared-out ]; then cp "$S.index" /prepared-out/index; fi
# The report goes to stderr between markers (stdout carries the pack).
{
  printf '\\n${REPORT_START}\\n%s\\n' "$commit"
  # Nested repositories are rare: without any, no process is started for them.
  if [ -s "$S.nested" ]; then cat "$S.nested"; printf '\\0--\\0'; git check-ignore -z --stdin < "$S.nested" || true; else printf '\\0--\\0'; fi
  printf '\\n${REPORT_END}\\n'
} >&2
# The new objects (thin: the host has the base, and the prepared commit $2 when given).
{ printf '%s\\n^%s\\n' "$commit" "$1"; if [ -n "\${2:-}" ]; then printf '^%s\\n' "$2"; fi; } | git pack-objects --revs --stdout --thin --delta-base-offset -q
`;



function stepFailed(what: string, result: { exitCode: number | null; timedOut: boolean; stderr: string; oomKilled?: boolean }): SnapshotError {
  if (result.timedOut) return new SnapshotError("snapshot_timed_out", `Saving the changes took longer than ${STEP_TIMEOUT_MS / 60_000} minutes (${what}).`);
  if (result.oomKilled) return new SnapshotError("snapshot_failed", `Saving the changes ran out of the attempt's memory (${what}).`);
  const detail = result.stderr.trim().split("\n").slice(-2).join(" ").slice(0, 300);
  return new SnapshotError("snapshot_failed", `Patchbay could not save the changes (${what}, exit ${result.exitCode})${detail ? `: ${detail}` : "."}`);
}

/**
 * The checks index-pack --strict failed, without the offending values (they are the agent's text, e.g. a planted
 * command line): " (gitmodulesUpdate: disallowed submodule update setting; …)".
 */
function fsckReasons(err: unknown): string {
  if (!(err instanceof GitError)) return "";
  const reasons = new Set<string>();
  for (const m of err.stderr.matchAll(/^error: object [0-9a-f]+: (\w+): ([^:\n]+)/gm)) reasons.add(`${m[1]}: ${m[2].trim()}`);
  return reasons.size ? ` (${[...reasons].slice(0, 3).join("; ")})` : "";
}

/** The report between the markers: the first start marker followed by a commit id (names the agent chose come later). */
function reportOf(stderr: string): string {
  const start = new RegExp(`\\n${REPORT_START}\\n(?=[0-9a-f]{40}\\n)`).exec(stderr);
  if (!start) return "";
  const from = start.index + start[0].length;
  const end = stderr.lastIndexOf(`\n${REPORT_END}\n`);
  return stderr.slice(from, end > from ? end : undefined);
}

function parseStage(stdout: string): { commit: string; leftOut: string[] } {
  const newline = stdout.indexOf("\n");
  const commit = stdout.slice(0, newline).trim();
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new SnapshotError("snapshot_failed", "Patchbay could not save the changes (no commit was made).");
  const [nestedPart, ignoredPart = ""] = stdout.slice(newline + 1).split("\0--\0");
  const nested = nestedPart.split("\0").filter(Boolean);
  const ignored = new Set(ignoredPart.split("\0").filter(Boolean));
  return { commit, leftOut: nested.filter((p) => !ignored.has(p)) };
}

/** Gitlinks the tree adds or changes against the base (raw diff, mode 160000 on the new side). */
async function changedGitlinks(repo: string, base: string, tree: string): Promise<string[]> {
  const raw = await git(["diff-tree", "-r", "-z", "--no-renames", base, tree], { gitDir: repo });
  const parts = raw.split("\0");
  const found: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i].replace(/^:/, "").split(" ");
    if (meta[1] === "160000") found.push(parts[i + 1]);
  }
  return found;
}

/** Takes the turn's snapshot (see the comment at the top) in a sandbox of its own made from `sandboxBase`. */
export async function takeSnapshot(opts: {
  sandboxBase: Omit<SandboxOptions, "mode" | "network" | "env">;
  /** The host repository the snapshot is imported into (the attempt's host.git, or a cache entry's). */
  hostRepo: string;
  /** The ref it is recorded under there. */
  ref?: string;
  baseCommit: string;
  /**
   * The prepared environment's commit, when the checkout is an overlay over one: the host repository already has
   * its objects (by alternates), so the pack leaves them out. The sandbox binds its objects at /prepared-objects.
   */
  preparedCommit?: string;
  signal?: AbortSignal;
}): Promise<Snapshot> {
  // The checkout is writable only so that unreadable directories can be made readable (chmod u+rX).
  const sandbox = await createBwrapSandbox({ ...opts.sandboxBase, mode: "rw", network: "off", env: SANDBOX_GIT_ENV });
  try {
    return await snapshotIn(sandbox, opts);
  } finally {
    await sandbox.destroy().catch(() => undefined);
  }
}

async function snapshotIn(
  sandbox: Awaited<ReturnType<typeof createBwrapSandbox>>,
  opts: { hostRepo: string; ref?: string; baseCommit: string; preparedCommit?: string; signal?: AbortSignal },
): Promise<Snapshot> {
  const { hostRepo, baseCommit } = opts;
  const pack = new PassThrough();
  // Settles to its error (not a rejection) so that a failure while the pack still streams is not unhandled.
  const imported = git(["index-pack", "--stdin", "--fix-thin", "--strict"], {
    gitDir: hostRepo,
    stdinStream: pack,
    timeoutMs: STEP_TIMEOUT_MS,
  }).then(
    () => null,
    (err: unknown) => err,
  );
  const sent = await sandbox.exec({
    argv: ["/bin/sh", "-c", STAGE_SCRIPT, "snapshot", baseCommit, ...(opts.preparedCommit ? [opts.preparedCommit] : [])],
    timeoutMs: STEP_TIMEOUT_MS,
    signal: opts.signal,
    stdoutSink: pack,
    maxStdoutBytes: MAX_SNAPSHOT_BYTES,
  });
  if (!pack.writableEnded) pack.end();
  const err = await imported;
  if (sent.stdoutOverflow) {
    throw new SnapshotError("changes_too_large", `The changes are too large to keep (over ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MiB packed). Remove generated or binary files, or add them to .gitignore.`);
  }
  if (sent.exitCode !== 0) throw stepFailed("staging", sent);
  if (err) throw new SnapshotError("snapshot_refused", `Patchbay refused the changes: git's object check failed${fsckReasons(err)}.`);
  const { commit, leftOut } = parseStage(reportOf(sent.stderr));

  // From here on only the host repository is read: objects index-pack verified, config Patchbay wrote.
  const g = { gitDir: hostRepo };
  let tree: string;
  try {
    // The tree, then every parent: exactly one, the base.
    const [treeId, ...parents] = (await git(["rev-parse", `${commit}^{tree}`, `${commit}^@`], g)).trim().split("\n");
    if (parents.length !== 1 || parents[0] !== baseCommit || !/^[0-9a-f]{40}$/.test(treeId)) throw new Error("unexpected parents");
    tree = treeId;
  } catch {
    throw new SnapshotError("snapshot_refused", "Patchbay refused the changes: the saved commit is not what it made.");
  }
  const gitlinks = await changedGitlinks(hostRepo, baseCommit, tree);
  if (gitlinks.length) {
    throw new SnapshotError("snapshot_refused", `Patchbay refused the changes: they record nested repositories (${gitlinks.slice(0, 3).join(", ")}).`);
  }
  await git(["update-ref", opts.ref ?? SNAPSHOT_REF, commit], g);
  return { commit, tree, leftOut };
}


/**
 * The agent's work alone, when the turn started from a prepared environment: `snapshot` holds the checkout (base
 * + setup's files + the agent's changes), `prepared` the checkout right after setup. The result is a commit on the
 * base with, for every path the agent changed after setup, the agent's version (or its deletion), and the base's
 * version of everything setup changed and the agent did not touch. Built from objects in `repo` with a scratch
 * index (no checkout involved).
 */
export async function replayOntoBase(opts: { repo: string; base: string; prepared: string; snapshot: string; scratchIndex: string }): Promise<string> {
  const g = { gitDir: opts.repo, env: { GIT_INDEX_FILE: opts.scratchIndex } };
  const raw = await git(["diff-tree", "-r", "-z", "--no-renames", opts.prepared, opts.snapshot], { gitDir: opts.repo });
  const parts = raw.split("\0");
  const lines: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [, newMode, , newSha] = parts[i].replace(/^:/, "").split(" ");
    const file = parts[i + 1];
    // mode 0 removes the entry from the index (update-index --index-info).
    lines.push(newMode === "000000" ? `0 ${"0".repeat(40)}\t${file}` : `${newMode} ${newSha}\t${file}`);
  }
  await git(["read-tree", `${opts.base}^{tree}`], g);
  if (lines.length) await git(["update-index", "-z", "--index-info"], { ...g, input: lines.map((l) => `${l}\0`).join("") });
  const tree = (await git(["write-tree"], g)).trim();
  return (
    await git(["commit-tree", tree, "-p", opts.base, "-F", "-"], {
      gitDir: opts.repo,
      input: "Patchbay snapshot\n",
      env: { GIT_AUTHOR_NAME: "Patchbay", GIT_AUTHOR_EMAIL: "snapshot@patchbay.invalid", GIT_COMMITTER_NAME: "Patchbay", GIT_COMMITTER_EMAIL: "snapshot@patchbay.invalid" },
    })
  ).trim();
}
