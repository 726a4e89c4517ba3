import "server-only";
import net from "node:net";

/**
 * Who may be reached from a sandbox, decided by the runner's egress proxy (lib/network/egress-proxy.ts) on every
 * request: by host name (the allowlist), by HTTP method (plain HTTP only: inside HTTPS the proxy sees the host of
 * a CONNECT, never the method), and always by the resolved address (never loopback, private, link-local,
 * unique-local, multicast, the cloud metadata service, or Patchbay's own hosts).
 */

export type InternetMode = "off" | "allowlist" | "on";

export type EgressPolicy = {
  mode: InternetMode;
  /** Exact host names, or `*.example.com` for every subdomain of example.com (not example.com itself). */
  domains: string[];
  /** "all", or "read": GET, HEAD and OPTIONS only (plain HTTP). */
  methods: "all" | "read";
};

export type RefusalReason = "allowlist" | "method" | "private_address" | "patchbay_host" | "bad_request" | "unreachable";

/** Header of a refusal, naming its reason (a client can show it; the task log shows it too). */
export const REFUSAL_HEADER = "x-patchbay-refused";

/** Host names of the common package registries and download hosts: the "common package registries" preset. */
export const COMMON_REGISTRIES: readonly string[] = [
  // npm, Yarn
  "registry.npmjs.org",
  "registry.yarnpkg.com",
  "repo.yarnpkg.com",
  // Python
  "pypi.org",
  "files.pythonhosted.org",
  // Rust
  "crates.io",
  "index.crates.io",
  "static.crates.io",
  "static.rust-lang.org",
  // Go
  "proxy.golang.org",
  "sum.golang.org",
  "storage.googleapis.com",
  // Maven / Gradle
  "repo.maven.apache.org",
  "repo1.maven.org",
  "plugins.gradle.org",
  "services.gradle.org",
  // Ruby
  "rubygems.org",
  "index.rubygems.org",
  // Debian, Ubuntu, Alpine
  "deb.debian.org",
  "security.debian.org",
  "archive.ubuntu.com",
  "security.ubuntu.com",
  "dl-cdn.alpinelinux.org",
  // GitHub releases and raw files
  "github.com",
  "codeload.github.com",
  "objects.githubusercontent.com",
  "raw.githubusercontent.com",
  "release-assets.githubusercontent.com",
];

const HOST_NAME = /^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A domain of the allowlist, normalized, or an error message. */
export function parseDomainPattern(raw: string): { ok: true; value: string } | { ok: false; message: string } {
  const value = raw.trim().toLowerCase().replace(/\.$/, "");
  if (!value) return { ok: false, message: "is empty" };
  if (value.length > 253 || !HOST_NAME.test(value)) return { ok: false, message: `${JSON.stringify(raw)} is not a host name (use example.com or *.example.com)` };
  return { ok: true, value };
}

/** Whether a host name matches one allowlist entry. */
export function matchesDomain(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  if (pattern.startsWith("*.")) return h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1;
  return h === pattern;
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The name-and-method part of the decision (the address is checked after resolving). */
export function checkRequest(policy: EgressPolicy, req: { host: string; method: string | null }): RefusalReason | null {
  if (policy.mode === "off") return "allowlist";
  if (policy.mode === "allowlist" && !policy.domains.some((d) => matchesDomain(req.host, d))) return "allowlist";
  if (policy.methods === "read" && req.method !== null && !READ_METHODS.has(req.method.toUpperCase())) return "method";
  return null;
}

/** Address ranges a sandbox never reaches, whatever its policy. */
const blocked = (() => {
  const list = new net.BlockList();
  for (const [addr, prefix] of [
    ["0.0.0.0", 8], // "this network"
    ["10.0.0.0", 8],
    ["100.64.0.0", 10], // carrier-grade NAT (and Alibaba's metadata service)
    ["127.0.0.0", 8],
    ["169.254.0.0", 16], // link-local, including the cloud metadata address 169.254.169.254
    ["172.16.0.0", 12],
    ["192.0.0.0", 24],
    ["192.168.0.0", 16],
    ["198.18.0.0", 15],
    ["224.0.0.0", 4], // multicast
    ["240.0.0.0", 4], // reserved, broadcast
  ] as const) {
    list.addSubnet(addr, prefix, "ipv4");
  }
  for (const [addr, prefix] of [
    ["::", 128],
    ["::1", 128],
    ["fc00::", 7], // unique-local (AWS's IPv6 metadata address fd00:ec2::254 is one)
    ["fe80::", 10], // link-local
    ["ff00::", 8], // multicast
  ] as const) {
    list.addSubnet(addr, prefix, "ipv6");
  }
  return list;
})();

/** IPv4 embedded in an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

/** True for an address no sandbox may reach (see `blocked`). */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  if (family === 4) return blocked.check(address, "ipv4");
  const v4 = embeddedIpv4(address);
  if (v4) return blocked.check(v4, "ipv4");
  return blocked.check(address, "ipv6");
}

/** What a person reads about a refusal. */
export function refusalText(reason: RefusalReason, host: string, method: string | null): string {
  switch (reason) {
    case "allowlist":
      return `${host} is not on this environment's internet allowlist`;
    case "method":
      return `${method} is not allowed: this environment allows only GET, HEAD and OPTIONS`;
    case "private_address":
      return `${host} is a private, loopback or link-local address`;
    case "patchbay_host":
      return `${host} is one of Patchbay's own hosts`;
    case "bad_request":
      return "the proxy could not read the request";
    case "unreachable":
      return `${host} could not be reached`;
  }
}
