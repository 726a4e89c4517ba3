import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // server-only throws outside React Server Components; tests run the server code directly.
      "server-only": path.resolve(import.meta.dirname, "node_modules/server-only/empty.js"),
    },
  },
  test: {
    include: ["components/**/*.test.ts", "lib/**/*.test.ts", "db/**/*.test.ts", "tests/**/*.test.ts", "e2e/fakes/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    env: { NEXTAUTH_SECRET: "vitest-secret-not-for-production", PATCHBAY_DATA_DIR: ".data/vitest" },
  },
});
