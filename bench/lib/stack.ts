/**
 * The fakes (GitHub + model) and the environment pointing lib/env at them: the tests' stack with a fake model that
 * streams text with no delay, so the figures measure Patchbay and not the fake's pacing.
 * Call before anything reads lib/env (it is parsed once per process).
 */
import { startTestStack, type TestStack } from "@/tests/helpers/stack";

export type BenchStack = TestStack;

export function startBenchStack(): Promise<BenchStack> {
  return startTestStack({ textDelayMs: 0, tmpPrefix: "patchbay-bench-" });
}
