// Plain JavaScript on purpose: with a next.config.ts, `next start` loads the SWC compiler just to read it (24 MB of
// the server's RSS, measured in /proc/<pid>/smaps; bench/embedded-memory.ts).

/** @type {import("next").NextConfig} */
const nextConfig = {
  // PGlite ships WASM and pg-native is optional: load them from node_modules at run time instead of bundling.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "pg-boss"],
  poweredByHeader: false,
  // `npm test` type-checks the whole project once (tsc); the build need not do it again.
  typescript: { ignoreBuildErrors: true },
  experimental: {
    // proxy.ts sees every API request, so Next.js buffers each body for it; keep that near the API's largest cap
    // (an image upload: 5 MiB as base64 JSON, lib/images) instead of the default 10 MB. Every route still caps its
    // own body (256 KiB for JSON in lib/http.ts) and answers 413 past it.
    proxyClientMaxBodySize: "7mb",
  },
  // proxy.ts sets the security headers of pages and API answers; the build's static files get these.
  async headers() {
    return [
      {
        source: "/_next/static/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Cross-Origin-Resource-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
