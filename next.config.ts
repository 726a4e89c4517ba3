import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and pg-native is optional: load them from node_modules at run time instead of bundling.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "pg-boss"],
  poweredByHeader: false,
};

export default nextConfig;
