import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPullRequest } from "@/lib/pr/open";
import { readAttemptFile } from "@/lib/tasks/artifacts";
import { fakeRepo } from "../pr/helpers";
import { attack, patch, sh, startHostileStack, type HostileStack } from "./harness";

/**
 * Symlinks, hard links and `..`: whatever the agent points at, the host reads and writes nothing outside the
 * checkout — not when it applies a patch, not when it commits, not when it shows a cited file.
 */
describe("paths out of the checkout", () => {
  let s: HostileStack;
  let secretFile: string;
  const SECRET = "HOST-ONLY-SECRET-7f3a9";

  beforeAll(async () => {
    s = await startHostileStack({
      scenarios: ({ hostDir, dataDir }) => {
        const secret = path.join(hostDir, "host-secret.txt");
        return [
          attack("links", [
            sh(`cd /workspace && echo change >> README.md
ln -s ${secret} secret-link
ln -s /etc/shadow shadow-link
ln -s / root-link
ln -s ${dataDir} data-link
mkdir -p d && ln -s ${hostDir} d/escape
ln ${secret} hard-link 2>/dev/null || echo "no hard link to host files"
cat secret-link 2>/dev/null || echo "cannot read through the link in here"`),
            // apply_patch runs on the host: through a symlinked directory, through a symlinked file, and out with '..'.
            patch(`*** Begin Patch\n*** Add File: d/escape/pwned-through-dir.txt\n+pwned\n*** End Patch`),
            patch(`*** Begin Patch\n*** Update File: secret-link\n@@\n-${SECRET}\n+overwritten\n*** End Patch`),
            patch(`*** Begin Patch\n*** Add File: ../../pwned-dotdot.txt\n+pwned\n*** End Patch`),
            patch(`*** Begin Patch\n*** Add File: ${hostDir}/pwned-absolute.txt\n+pwned\n*** End Patch`),
            patch(`*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+#!/bin/sh\n*** End Patch`),
          ]),
        ];
      },
    });
    secretFile = path.join(s.hostDir, "host-secret.txt");
    fs.writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o644 });
  });
  afterAll(async () => s?.close());

  it("stores links as links, writes nothing outside, and never reads a host file for the person", async () => {
    const { attempt, log, taskId, events } = await s.run("links");
    expect(attempt.status).toBe("succeeded");
    expect(log).toContain("no hard link to host files");
    expect(log).toContain("cannot read through the link in here");

    // apply_patch refused every escape, each with a reason the model can act on.
    const failures = events.filter((e) => e.type === "patch").flatMap((e) => (e.payload.failures as { message: string }[]) ?? []);
    expect(failures.map((f) => f.message).join("\n")).toMatch(/symlink/);
    expect(failures.map((f) => f.message).join("\n")).toMatch(/escapes the workspace|outside the workspace/);
    expect(failures.map((f) => f.message).join("\n")).toMatch(/\.git/);
    for (const name of ["pwned-through-dir.txt", "pwned-dotdot.txt", "pwned-absolute.txt"]) {
      expect(fs.existsSync(path.join(s.hostDir, name))).toBe(false);
      expect(fs.existsSync(path.join(s.hostDir, "..", name))).toBe(false);
    }
    expect(fs.readFileSync(secretFile, "utf8")).toBe(`${SECRET}\n`);

    // The diff records each link as a link (its target as text), never what it points at.
    const diff = attempt.diff ?? "";
    expect(diff).toMatch(/new file mode 120000[\s\S]*secret-link/);
    expect(diff).not.toContain(SECRET);
    expect(diff).not.toMatch(/^\+root:/m); // /etc/shadow

    // The cited-file viewer: a link is refused, paths out of the checkout are refused, .git is refused.
    const read = (p: string) => readAttemptFile({ userId: s.userId, taskId, attemptId: attempt.id, path: p });
    await expect(read("README.md")).resolves.toMatchObject({ content: expect.stringContaining("change") });
    await expect(read("secret-link")).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/symbolic link/) });
    await expect(read("root-link/etc/passwd")).rejects.toMatchObject({ status: 404 });
    await expect(read("d/escape/host-secret.txt")).rejects.toMatchObject({ status: 404 });
    await expect(read("../../../etc/passwd")).rejects.toMatchObject({ status: 400 });
    await expect(read("/etc/passwd")).rejects.toMatchObject({ status: 400 });
    await expect(read(".git/config")).rejects.toMatchObject({ status: 400 });
    for (const p of ["secret-link", "../../../etc/passwd", "/etc/passwd"]) {
      const err = await read(p).catch((e: Error) => e);
      expect(String((err as Error).message)).not.toContain(s.hostDir);
    }

    // Create PR pushes links as links.
    const pr = await createPullRequest({ userId: s.userId, taskId });
    const repo = fakeRepo(s.stack);
    const files = repo.git(["ls-tree", "-r", "--full-tree", pr.branch]);
    expect(files).toMatch(/^120000 blob \w+\tsecret-link$/m);
    expect(files).toMatch(/^120000 blob \w+\troot-link$/m);
    expect(files).toMatch(/^120000 blob \w+\td\/escape$/m);
    expect(repo.git(["cat-file", "-p", `${pr.branch}:secret-link`])).toBe(secretFile);
  });
});
