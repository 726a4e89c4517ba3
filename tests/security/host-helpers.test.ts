import { spawn } from "node:child_process";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { git, GitError } from "@/lib/runner/git";
import { runHostCommand } from "@/lib/sandbox/host-command";

/** A host-side helper that runs too long is killed with everything it started: no orphan survives its timeout. */

function processesWith(needle: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${entry}/status`, "utf8"))?.[1];
      if (cmdline.includes(needle) && state !== "Z") found.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return found;
}

const tag = () => `1002.${Math.floor(Math.random() * 1e6)}`;

describe("host-side helpers", () => {
  it("kill their whole process group on timeout", async () => {
    const t = tag();
    const started = Date.now();
    const result = await runHostCommand("/bin/sh", ["-c", `sleep ${t} & (sleep ${t} &) ; sleep ${t}`], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.code).toBeNull();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(processesWith(t)).toEqual([]);
  });

  it("leave nothing behind when they exit on their own either", async () => {
    const t = tag();
    const result = await runHostCommand("/bin/sh", ["-c", `sleep ${t} & echo started`], { timeoutMs: 5_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("started\n");
    expect(processesWith(t)).toEqual([]);
  });

  it("stop a helper that prints without end at the output cap", async () => {
    const result = await runHostCommand("/usr/bin/yes", [], { timeoutMs: 10_000, maxBuffer: 1024 * 1024 });
    expect(result.overflow).toBe(true);
    expect(result.stdout.length).toBeLessThanOrEqual(1024 * 1024);
  });

  it("git's timeout takes its children along (a hanging remote helper)", async () => {
    const t = tag();
    // A "remote" whose upload-pack hangs: git spawns it, then the timeout must kill both.
    const err = await git(["ls-remote", `--upload-pack=sleep ${t}`, "/nonexistent-repo"], {
      timeoutMs: 400,
      config: { "protocol.file.allow": "always" },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(processesWith(t)).toEqual([]);
  });

  it("go with the server: a server killed with -9 leaves none of the commands its helper process started", async () => {
    const t = tag();
    // A server stand-in: starts a long command (and its child) through the helper, then waits to be killed.
    const script = `
      import { spawnStreaming } from "./lib/sandbox/spawner.ts";
      const c = spawnStreaming("/bin/sh", ["-c", "sleep ${t} & sleep ${t}"], { env: { PATH: "/usr/bin:/bin" }, stdio: ["ignore", "pipe", "pipe"], readable: [1, 2] });
      c.on("spawn", () => console.log("started"));
      setInterval(() => {}, 1000);
    `;
    // One process (node with tsx's loader, not the tsx CLI, which runs the script in a child of its own).
    const server = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "--input-type=module", "-e", script], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on("data", (d: Buffer) => d.toString().includes("started") && resolve());
      server.on("exit", (code) => reject(new Error(`the stand-in exited with ${code}`)));
    });
    // The sleeps only (the stand-in's own command line holds the tag too).
    const sleeps = () => processesWith(t).filter((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("sleep\0"));
    await expect.poll(() => sleeps().length).toBe(2);
    server.kill("SIGKILL");
    await expect.poll(() => sleeps(), { timeout: 5_000 }).toEqual([]);
  });
});
