import { describe, expect, it } from "vitest";
import type { TaskEventDTO } from "@/components/log/types";
import { checksLabel, checksOf, looksPreselected, usageShort, workedMsOf } from "./attempt-stats";
import { digestTurns } from "./turn-digest";
import type { AttemptDTO } from "./types";

let id = 0;
const ev = (type: TaskEventDTO["type"], payload: Record<string, unknown>, at: string, turn = 0): TaskEventDTO => ({
  id: ++id,
  attemptId: "a",
  seq: id,
  turn,
  type,
  payload,
  createdAt: `2026-12-01T10:00:${at}.000Z`,
});

const attempt = (over: Partial<AttemptDTO>): AttemptDTO => ({
  id: "a",
  index: 0,
  status: "succeeded",
  turn: 0,
  baseCommit: null,
  branchName: null,
  diffStats: null,
  hasDiff: false,
  errorCode: null,
  errorMessage: null,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  costUsd: null,
  retryOf: null,
  prTurn: null,
  startedAt: null,
  finishedAt: null,
  ...over,
});

describe("attempt stats", () => {
  it("sums the time worked per turn and reads the checks from the commands and their exit codes", () => {
    const events = [
      ev("status", { status: "preparing" }, "00"),
      ev("command", { phase: "start", chunkId: "c1", argv: ["node", "test/run.js"] }, "01"),
      ev("command", { phase: "end", chunkId: "c1", exitCode: 0 }, "02"),
      ev("command", { phase: "start", chunkId: "c2", argv: ["npm", "run", "lint"] }, "03"),
      ev("command", { phase: "end", chunkId: "c2", exitCode: 1 }, "04"),
      ev("status", { status: "succeeded" }, "05"),
      ev("status", { status: "queued" }, "30", 1),
      ev("status", { status: "succeeded" }, "33", 1),
    ];
    expect(workedMsOf(events)).toBe(8000);
    const checks = checksOf(events);
    expect(checks.map((c) => c.outcome)).toEqual(["passed", "failed"]);
    expect(checksLabel(checks)).toBe("1 of 2 checks passed");
    expect(checksLabel([])).toBe("No checks run");
  });

  it("tells a preselected attempt (the first to succeed) from one the person picked", () => {
    const a = attempt({ id: "a", finishedAt: "2026-12-01T10:00:05Z" });
    const b = attempt({ id: "b", index: 1, finishedAt: "2026-12-01T10:00:03Z" });
    expect(looksPreselected([a, b], "b")).toBe(true);
    expect(looksPreselected([a, b], "a")).toBe(false);
    expect(looksPreselected([a, b], null)).toBe(false);
    expect(usageShort(attempt({ inputTokens: 12_000, outputTokens: 300, costUsd: 0.04 }))).toBe("12k tokens · $0.04");
  });

  it("a turn's digest keeps the messages sent while it worked, and a stop is not a failure", () => {
    const d = digestTurns([
      ev("status", { status: "running" }, "00"),
      ev("steer", { text: "also greet the team" }, "01"),
      ev("error", { code: "cancelled", message: "Stopped." }, "02"),
      ev("status", { status: "cancelled" }, "02"),
    ]).get(0)!;
    expect(d.steers.map((s) => s.text)).toEqual(["also greet the team"]);
    expect(d.errors).toEqual([]);
    expect(d.status).toBe("cancelled");
  });
});
