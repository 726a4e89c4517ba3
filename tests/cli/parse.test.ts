import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configDir } from "@/cli/lib/config.mjs";
import { detectCheckout, repoFromRemote } from "@/cli/lib/git.mjs";
import { LogPrinter, stripAnsi } from "@/cli/lib/render.mjs";
import { SseParser } from "@/cli/lib/sse.mjs";

describe("repository from a git remote", () => {
  it("reads github.com, GitHub Enterprise (with a path prefix or a port), ssh and scp-like remotes", () => {
    const cases: [string, string | null][] = [
      ["https://github.com/acme/widgets.git", "acme/widgets"],
      ["https://github.com/acme/widgets", "acme/widgets"],
      ["https://github.com/acme/widgets/", "acme/widgets"],
      ["https://x-access-token:secret@github.com/acme/widgets.git", "acme/widgets"],
      ["git@github.com:acme/widgets.git", "acme/widgets"],
      ["github.com:acme/widgets", "acme/widgets"],
      ["ssh://git@github.com/acme/widgets.git", "acme/widgets"],
      ["ssh://git@ghe.example.com:2222/acme/widgets.git", "acme/widgets"],
      ["https://ghe.example.com/acme/my.repo.git", "acme/my.repo"],
      ["https://code.example.com/github/acme/widgets.git", "acme/widgets"],
      ["git@ghe.corp.example:platform/api-server.git", "platform/api-server"],
      ["http://127.0.0.1:3101/acme/widgets.git", "acme/widgets"],
      ["git://ghe.example.com/acme/widgets", "acme/widgets"],
      ["/srv/git/widgets.git", null],
      ["file:///srv/git/acme/widgets.git", null],
      ["../widgets", null],
      ["https://github.com/acme", null],
      ["", null],
    ];
    for (const [url, repo] of cases) expect(repoFromRemote(url)?.fullName ?? null, url).toBe(repo);
    expect(repoFromRemote("git@ghe.corp.example:platform/api-server.git")?.host).toBe("ghe.corp.example");
  });

  it("detects the branch from the upstream, warns about unpushed commits, and falls back to the remote's default branch", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-detect-"));
    const g = (...args: string[]) => {
      const r = spawnSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" } });
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout.trim();
    };
    try {
      g("init", "-q", "-b", "main");
      g("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "one");
      g("remote", "add", "origin", "git@ghe.example.com:acme/widgets.git");
      expect(await detectCheckout(dir)).toMatchObject({ repo: "acme/widgets", branch: "main", remote: "origin" });
      expect((await detectCheckout(dir))!.warnings[0]).toMatch(/main has no upstream branch/);

      // An upstream of another name on GitHub: that is the branch the task starts from.
      g("update-ref", "refs/remotes/origin/release", "HEAD");
      g("branch", "-q", "--set-upstream-to=origin/release");
      g("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "two");
      const up = await detectCheckout(path.join(dir));
      expect(up).toMatchObject({ repo: "acme/widgets", branch: "release" });
      expect(up!.warnings[0]).toMatch(/1 local commit is not pushed to origin\/release/);

      // Detached: the remote's default branch.
      g("update-ref", "refs/remotes/origin/main", "HEAD");
      g("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
      g("checkout", "-q", "--detach");
      expect(await detectCheckout(dir)).toMatchObject({ branch: "main" });
      expect(await detectCheckout(os.tmpdir())).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("server-sent events", () => {
  it("parses ids, multi-line data, comments, retry, CRLF and a chunk split anywhere", () => {
    const text = "retry: 1000\r\n\r\n: keep-alive\n\nid: 7\ndata: {\"a\":1}\n\nid: 8\ndata: line1\ndata: line2\n\nevent: other\ndata:x\n\n";
    const whole = new SseParser().push(text);
    expect(whole).toEqual([
      { id: "7", event: "message", data: '{"a":1}' },
      { id: "8", event: "message", data: "line1\nline2" },
      { id: "8", event: "other", data: "x" },
    ]);
    // Byte by byte (a \r\n split in two included): the same events.
    const p = new SseParser();
    const pieces = [...text].flatMap((ch) => p.push(ch));
    expect(pieces).toEqual(whole);
    expect(p.retry).toBe(1000);
  });
});

describe("human log output", () => {
  const sink = () => {
    let text = "";
    return { stream: { isTTY: false, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
  };

  it("keeps two attempts' lines apart, prefixed, even when their output arrives mid-line", () => {
    const out = sink();
    const p = new LogPrinter({ out: out.stream, attempts: [{ id: "a", index: 0 }, { id: "b", index: 1 }], env: {} });
    const ev = (attemptId: string, type: string, payload: Record<string, unknown>) => p.print({ attemptId, turn: 0, type, payload });
    ev("a", "command", { phase: "start", argv: ["echo", "hi there"] });
    ev("a", "log", { text: "hel" });
    ev("b", "log", { text: "other\n" });
    ev("a", "log", { text: "lo\n" });
    ev("a", "command", { phase: "end", exitCode: 0, durationMs: 12 });
    ev("b", "status", { status: "failed" });
    p.end();
    expect(out.text()).toBe("[1] $ echo 'hi there'\n[2] other\n[1] hello\n[1]   exit 0 · 12 ms\n[2] ── failed\n");
  });

  it("strips terminal escapes when the output is not a terminal", () => {
    expect(stripAnsi("\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07")).toBe("red link");
  });

  it("keeps its config in the user's config directory", () => {
    expect(configDir({ XDG_CONFIG_HOME: "/home/a/.cfg" })).toBe("/home/a/.cfg/patchbay");
    expect(configDir({ PATCHBAY_CONFIG_DIR: "/tmp/pb" })).toBe("/tmp/pb");
    expect(configDir({})).toBe(path.join(os.homedir(), ".config", "patchbay"));
  });
});
