import { describe, expect, it } from "vitest";
import { git } from "./git";
import { spawnStreaming, spawnViaHelper, type RemoteChild } from "@/lib/sandbox/spawner";

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

  describe("streaming (the sandbox's commands)", () => {
    const closed = (c: RemoteChild) => new Promise<[number | null, string | null]>((r) => c.on("close", (code: number | null, sig: string | null) => r([code, sig])));

    it("streams output while the command runs, takes input on any fd, and reports its exit", async () => {
      const c = spawnStreaming("sh", ["-c", "echo ready; read line; echo got $line; cat <&3 >&2; exit 4"], {
        env,
        stdio: ["pipe", "pipe", "pipe", "pipe"],
        readable: [1, 2],
      });
      const end = closed(c);
      let out = "";
      let err = "";
      c.stdout!.on("data", (d: Buffer) => (out += d));
      c.stderr!.on("data", (d: Buffer) => (err += d));
      // Output before the command ends: it waits for our line.
      await expect.poll(() => out).toBe("ready\n");
      expect(c.pid).toBeGreaterThan(0);
      c.stdin!.write("hello\n");
      (c.stdio[3] as NodeJS.WritableStream).end("through fd 3");
      expect(await end).toEqual([4, null]);
      expect(out).toBe("ready\ngot hello\n");
      expect(err).toBe("through fd 3");
    });

    it("holds the command back while this side does not read (backpressure), then delivers every byte", async () => {
      const c = spawnStreaming("sh", ["-c", "head -c 8388608 /dev/zero"], { env, stdio: ["ignore", "pipe", "pipe"], readable: [1, 2] });
      const end = closed(c);
      c.stdout!.pause();
      await new Promise((r) => setTimeout(r, 300));
      // Paused here: the helper stopped reading, so the command is blocked on its full pipe, not finished.
      let finished = false;
      void end.then(() => (finished = true));
      expect(finished).toBe(false);
      let bytes = 0;
      c.stdout!.on("data", (d: Buffer) => (bytes += d.length));
      c.stdout!.resume();
      expect(await end).toEqual([0, null]);
      expect(bytes).toBe(8 * 1024 * 1024);
    });

    it("kills the whole process group, and says when a command cannot start", async () => {
      const c = spawnStreaming("sh", ["-c", "sleep 30 & sleep 30"], { env, stdio: ["ignore", "pipe", "pipe"], readable: [1, 2] });
      const end = closed(c);
      c.kill("SIGKILL", { group: true });
      expect((await end)[1]).toBe("SIGKILL");

      const missing = spawnStreaming("/nonexistent/tool", [], { env, stdio: ["ignore", "pipe", "pipe"], readable: [1, 2] });
      const error = await new Promise<NodeJS.ErrnoException>((r) => missing.on("error", r));
      expect(error.code).toBe("ENOENT");
    });
  });
});
