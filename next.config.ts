import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and pg-native is optional: load them from node_modules at run time instead of bundling.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "pg-boss"],
  poweredByHeader: false,
  // `npm test` type-checks the whole project once (tsc); the build need not do it again.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
