import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attack, startHostileStack, type HostileStack } from "./harness";

/** The CPU time of a turn is a budget across all its processes, not a per-process limit (cgroups need root). */
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("the CPU budget of an attempt", () => {
  let s: HostileStack;
  beforeAll(async () => {
    s = await startHostileStack({
      limits: { cpuSeconds: 3 },
      scenarios: () => [
        attack("spin", [
          { toolCalls: [{ name: "shell", arguments: { command: ["bash", "-c", "(while :; do :; done) & while :; do :; done"], timeout_ms: 60_000 } }] },
        ]),
      ],
    });
  });
  afterAll(async () => s?.close());

  it("stops the attempt once all its processes together used the budget, with a clear message", async () => {
    const started = Date.now();
    const { attempt, log } = await s.run("spin");
    const took = Date.now() - started;
    expect(attempt.status).toBe("failed");
    expect(attempt.errorCode).toBe("cpu_limit");
    expect(attempt.errorMessage).toBe("Stopped: this attempt used its CPU time budget of 3 s (SANDBOX_CPU_SECONDS).");
    expect(log).toContain("[patchbay] Stopped: this attempt used its CPU time budget of 3 s");
    // Two busy processes burn 3 CPU-seconds in about 1.5 s of wall time on two cores.
    expect(took).toBeLessThan(20_000);
    console.log(`cpu budget: two busy loops stopped at 3 CPU-s after ${took} ms of wall time`);
  });
});
