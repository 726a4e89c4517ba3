// Runs only the component unit tests, until the main vitest.config.ts includes `components/**/*.test.ts`:
//   npx vitest run --config e2e/components-harness/vitest.config.ts
import path from "node:path";
import { mergeConfig } from "vitest/config";
import base from "../../vitest.config";

const config = mergeConfig(base, { root: path.resolve(import.meta.dirname, "../..") });
config.test = { ...config.test, include: ["components/**/*.test.ts"] };
export default config;
