import "server-only";
import { normalizePatchPath } from "@/lib/agent/apply-patch/apply";
import { git, GitError } from "./git";

export class SnapshotFileError extends Error {
  constructor(
    readonly code: "file_not_found" | "file_unreadable",
    message: string,
  ) {
    super(message);
    this.name = "SnapshotFileError";
  }
}

/**
 * A file of a commit in a host repository (the attempt's snapshot, or its base commit): read from git objects,
 * never from the checkout, so a symlink, a FIFO or a swapped directory the agent left there cannot make the host
 * read anything else. Symlinks are refused, not followed; so are paths with `..`, absolute paths and `.git`.
 */
export async function readCommitFile(opts: { repo: string; commit: string; path: string; maxBytes: number }): Promise<string> {
  let clean: string;
  try {
    clean = normalizePatchPath(opts.path);
  } catch (err) {
    throw new SnapshotFileError("file_unreadable", (err as Error).message);
  }
  if (clean.split("/").some((p) => p.toLowerCase() === ".git")) {
    throw new SnapshotFileError("file_unreadable", `${clean} is inside .git, which is not part of the changes`);
  }
  const g = { gitDir: opts.repo, env: { GIT_LITERAL_PATHSPECS: "1" } };
  const listing = await git(["ls-tree", "-z", "--full-tree", opts.commit, "--", clean], g);
  const entry = listing.split("\0").find((e) => e.slice(e.indexOf("\t") + 1) === clean);
  if (!entry) throw new SnapshotFileError("file_not_found", `${clean} is not in this attempt's files`);
  const [mode, type, sha] = entry.slice(0, entry.indexOf("\t")).split(" ");
  if (mode === "120000") throw new SnapshotFileError("file_unreadable", `${clean} is a symbolic link; open the file it points to instead`);
  if (type !== "blob") throw new SnapshotFileError("file_unreadable", `${clean} is not a file`);
  const size = Number((await git(["cat-file", "-s", sha], g)).trim());
  if (size > opts.maxBytes) throw new SnapshotFileError("file_unreadable", `${clean} is too large to show (${size} bytes)`);
  try {
    return await git(["cat-file", "blob", sha], { ...g, maxBuffer: opts.maxBytes + 1 });
  } catch (err) {
    if (err instanceof GitError) throw new SnapshotFileError("file_unreadable", `${clean} could not be read`);
    throw err;
  }
}
