// Runs the component unit tests until the main vitest.config.ts includes `components/**/*.test.ts`.
// npx vitest run --config e2e/components-harness/vitest.config.ts
import { defineConfig, mergeConfig } from "vitest/config";
import path from "node:path";
import base from "../../vitest.config";

export default mergeConfig(
  base,
  defineConfig({ root: path.resolve(import.meta.dirname, "../.."), test: { include: ["components/**/*.test.ts"] } }),
);
