import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPullRequest } from "@/lib/pr/open";
import { readAttemptFile } from "@/lib/tasks/artifacts";
import { fakeRepo } from "../pr/helpers";
import { attack, markersLeft, sh, startHostileStack, type HostileStack } from "./harness";

/**
 * Git reads config, attributes, hooks, nested repositories, git files and alternates from the tree it walks. The
 * agent plants every one of them; the host must run none of it and record no nested repository. Each planted
 * command touches a file in a host folder every user may write: a file there means it ran outside the sandbox.
 */

const hostGit = (args: string[], opts: { cwd?: string; gitDir?: string } = {}) =>
  execFileSync("git", [...(opts.gitDir ? ["--git-dir", opts.gitDir] : []), ...args], {
    cwd: opts.cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: "/nonexistent", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" } as unknown as NodeJS.ProcessEnv,
  });

function victimRepo(dir: string, markers: string): { dir: string; head: string } {
  fs.mkdirSync(dir);
  hostGit(["init", "-q", "-b", "main", dir]);
  fs.writeFileSync(path.join(dir, "secret.txt"), "VICTIM-SECRET-CONTENT\n");
  hostGit(["add", "secret.txt"], { cwd: dir });
  hostGit(["-c", "user.name=V", "-c", "user.email=v@example.com", "commit", "-qm", "victim secret commit"], { cwd: dir });
  // If a host-side git ever opened this repository and looked at its worktree, this would run.
  hostGit(["config", "core.fsmonitor", `touch ${markers}/victim-fsmonitor; false`], { cwd: dir });
  return { dir, head: hostGit(["rev-parse", "HEAD"], { cwd: dir }).trim() };
}

/** Every place git takes a program from, planted in the checkout, plus nested repositories and git files. */
function plantEverything(m: string, victim: string, dataDir: string): string {
  const touch = (name: string) => `touch ${m}/${name}; false`;
  return `set -e
cd /workspace
echo "A real change." >> README.md
printf '* filter=pwn diff=pwn merge=pwn\\n*.js diff=pwn\\n' > .gitattributes
cat > evil.gitconfig <<'EOF'
[core]
	fsmonitor = ${touch("include-fsmonitor")}
	hooksPath = /workspace/hooks
	sshCommand = ${touch("include-ssh")}
[filter "pwn"]
	clean = ${touch("include-filter-clean")}
	smudge = ${touch("include-filter-smudge")}
	process = ${touch("include-filter-process")}
[diff "pwn"]
	textconv = ${touch("include-textconv")}
	command = ${touch("include-diff-command")}
[merge "pwn"]
	driver = ${touch("include-merge")}
EOF
mkdir -p hooks
for h in pre-commit post-commit post-checkout post-index-change reference-transaction pre-push fsmonitor-watchman; do
  printf '#!/bin/sh\\ntouch ${m}/hook-%s\\n' "$h" > hooks/$h; chmod +x hooks/$h
done

# A nested repository with its own commit, drivers, fsmonitor, hooks, include and alternates into the host mirror.
git init -q nested
cd nested
echo nested > n.txt
git add n.txt
git -c user.name=N -c user.email=n@example.com commit -qm nested
git config core.fsmonitor "${touch("nested-fsmonitor")}"
git config core.hooksPath /workspace/hooks
git config include.path /workspace/evil.gitconfig
git config filter.pwn.clean "${touch("nested-filter")}"
echo '* filter=pwn' > .gitattributes
echo ${dataDir}/mirrors/acme/widgets.git/objects >> .git/objects/info/alternates
cd ..

# An empty nested repository (git add would fail on it) and a bare one.
git init -q empty-nested
git init -q --bare bare-nested/.git

# Git files pointing at repositories elsewhere on the host: another tenant's, the mirror, the checkout's own.
mkdir -p gitfile-victim gitfile-mirror gitfile-own deep/a/b/c
echo "victim tracked" > gitfile-victim/file.txt
echo "gitdir: ${victim}/.git" > gitfile-victim/.git
echo "gitdir: ${dataDir}/mirrors/acme/widgets.git" > gitfile-mirror/.git
echo "gitdir: /workspace-git" > gitfile-own/.git
echo "gitdir: ${victim}/.git" > deep/a/b/c/.git
mkdir -p linked && ln -s ${victim}/.git linked/.git

# The checkout's git dir is read-only: these fail.
echo "[core] fsmonitor = ${touch("gitdir-config")}" >> /workspace-git/config 2>/dev/null || echo "git dir is read-only"
cp hooks/post-index-change /workspace-git/hooks/ 2>/dev/null || echo "hooks are read-only"

# The root .git pointer replaced by a repository of the agent's, with its own fsmonitor.
mv .git /tmp/pointer
git init -q .
git config core.fsmonitor "${touch("root-fsmonitor")}"
git config include.path /workspace/evil.gitconfig
echo planted
`;
}

describe("git over a hostile checkout", () => {
  let s: HostileStack;
  let victim: { dir: string; head: string };

  beforeAll(async () => {
    s = await startHostileStack({
      scenarios: ({ markers, hostDir, dataDir }) => {
        const v = path.join(hostDir, "victim");
        return [
          attack("plant-everything", [sh(plantEverything(markers, v, dataDir))]),
          attack("gitmodules", [
            sh(`cd /workspace && echo change >> README.md && mkdir -p sub && echo x > sub/x && cat > .gitmodules <<'EOF'
[submodule "sub"]
	path = sub
	url = --upload-pack=touch ${markers}/gitmodules-url
	update = !touch ${markers}/gitmodules-update
EOF`),
          ]),
        ];
      },
    });
    victim = victimRepo(path.join(s.hostDir, "victim"), s.markers);
  });
  afterAll(async () => s?.close());

  it("runs nothing the agent planted, records no nested repository, and says what it left out", async () => {
    const { attempt, log, taskId } = await s.run("plant-everything");
    expect(attempt.errorMessage).toBeNull();
    expect(attempt.status).toBe("succeeded");
    expect(log).toContain("git dir is read-only");
    expect(markersLeft(s.markers)).toEqual([]);

    const diff = attempt.diff ?? "";
    expect(diff).toContain("+A real change.");
    expect(diff).not.toMatch(/160000|Subproject commit/);
    expect(diff).not.toContain(victim.head);
    expect(diff).not.toContain("VICTIM-SECRET");
    // Nested repositories (and whatever lies under them) are left out whole, and the log says so.
    for (const dir of ["nested/", "empty-nested/", "bare-nested/", "gitfile-victim/", "gitfile-mirror/", "gitfile-own/", "deep/a/b/c/", "linked/"]) {
      expect(diff).not.toContain(`b/${dir}`);
      expect(log).toContain(dir);
    }
    expect(log).toMatch(/Left out nested git repositories: .*nested\//);

    // Create PR commits exactly what the diff showed: no gitlink, no nested files, and still nothing ran.
    const pr = await createPullRequest({ userId: s.userId, taskId });
    const files = fakeRepo(s.stack).git(["ls-tree", "-r", "--full-tree", pr.branch]);
    expect(files).not.toMatch(/^160000/m);
    expect(files).toMatch(/\tREADME\.md$/m);
    expect(files).toMatch(/\thooks\/post-index-change$/m);
    expect(files).not.toMatch(/\t(nested|gitfile-victim|linked|deep)\//m);
    const committed = fakeRepo(s.stack).git(["diff", "--binary", "--find-renames", attempt.baseCommit!, pr.branch]);
    expect(committed).toBe(diff);
    expect(markersLeft(s.markers)).toEqual([]);

    // The victim repository is as it was.
    expect(hostGit(["rev-parse", "HEAD"], { cwd: victim.dir }).trim()).toBe(victim.head);
    expect(fs.readFileSync(path.join(victim.dir, "secret.txt"), "utf8")).toBe("VICTIM-SECRET-CONTENT\n");
    expect(fs.readFileSync(path.join(victim.dir, ".git", "config"), "utf8")).not.toContain("workspace");
    // The cited-file reader does not read through a nested repository's git file either.
    await expect(readAttemptFile({ userId: s.userId, taskId, attemptId: attempt.id, path: "gitfile-victim/file.txt" })).rejects.toMatchObject({ status: 404 });
  });

  it("control: the planted drivers are live — a host git that honoured them would run them", () => {
    // What the sandboxed snapshot refuses to do, done on purpose on a scratch copy: proves the markers would appear.
    const scratch = path.join(s.hostDir, "control");
    fs.mkdirSync(scratch);
    hostGit(["init", "-q", scratch]);
    const m = path.join(s.hostDir, "control-markers");
    fs.mkdirSync(m);
    fs.writeFileSync(path.join(scratch, "evil.gitconfig"), `[core]\n\tfsmonitor = touch ${m}/fsmonitor; false\n`);
    hostGit(["-c", `include.path=${path.join(scratch, "evil.gitconfig")}`, "status", "--porcelain"], { cwd: scratch });
    expect(fs.readdirSync(m)).toEqual(["fsmonitor"]);
  });

  it("refuses a .gitmodules that names a command, with a clear message, and runs nothing", async () => {
    const { attempt } = await s.run("gitmodules");
    expect(attempt.status).toBe("failed");
    expect(attempt.errorCode).toBe("snapshot_refused");
    expect(attempt.errorMessage).toMatch(/^Patchbay refused the changes: git's object check failed/);
    expect(attempt.errorMessage).not.toMatch(/\/tmp\/|\/work\//);
    expect(attempt.diff).toBeNull();
    expect(markersLeft(s.markers)).toEqual([]);
  });
});
