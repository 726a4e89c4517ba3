import { describe, expect, it } from "vitest";
import { git } from "./git";
import { spawnViaHelper } from "@/lib/sandbox/spawner";

const env = { PATH: "/usr/bin:/bin" } as unknown as NodeJS.ProcessEnv;

describe("host commands through the helper process", () => {
  it("gives back exit code, stdout, stderr and what was written to stdin", async () => {
    const r = await spawnViaHelper({ file: "sh", args: ["-c", "cat; echo oops >&2; exit 3"], env, input: "hello" });
    expect(r).toMatchObject({ code: 3, stdout: "hello", stderr: "oops\n", timedOut: false, overflow: false });
  });

  it("kills the whole group on timeout, and on too much output", async () => {
    const t = performance.now();
    const slow = await spawnViaHelper({ file: "sh", args: ["-c", "sleep 30 & sleep 30"], env, timeoutMs: 200 });
    expect(slow.timedOut).toBe(true);
    expect(performance.now() - t).toBeLessThan(5_000);
    const loud = await spawnViaHelper({ file: "sh", args: ["-c", "yes"], env, maxBuffer: 1024 });
    expect(loud.overflow).toBe(true);
  });

  it("rejects when the command cannot start, and runs many at once", async () => {
    await expect(spawnViaHelper({ file: "/nonexistent/tool", args: [], env })).rejects.toThrow(/could not start/);
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => spawnViaHelper({ file: "sh", args: ["-c", `echo ${i}`], env })));
    expect(all.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it("is what git() uses: its output and its errors", async () => {
    expect(await git(["--version"])).toMatch(/^git version/);
    await expect(git(["rev-parse", "--verify", "nope"], { gitDir: "/nonexistent" })).rejects.toThrow(/git rev-parse failed/);
  });
});
