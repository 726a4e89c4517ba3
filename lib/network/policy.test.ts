import { describe, expect, it } from "vitest";
import { checkRequest, isPrivateAddress, matchesDomain, parseDomainPattern } from "./policy";

describe("egress policy", () => {
  it("refuses every private, loopback, link-local, unique-local, metadata and mapped form of them", () => {
    for (const a of [
      "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.100.100.200",
      "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1",
      "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "::127.0.0.1", "not-an-ip",
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ["93.184.216.34", "140.82.112.3", "198.51.100.7", "2606:4700::6810:84e5", "::ffff:93.184.216.34", "172.32.0.1"]) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });

  it("matches exact names and *. subdomains, case-insensitively, never the apex for a wildcard", () => {
    expect(matchesDomain("registry.npmjs.org", "registry.npmjs.org")).toBe(true);
    expect(matchesDomain("Registry.NPMJS.org.", "registry.npmjs.org")).toBe(true);
    expect(matchesDomain("evilregistry.npmjs.org", "registry.npmjs.org")).toBe(false);
    expect(matchesDomain("a.b.example.com", "*.example.com")).toBe(true);
    expect(matchesDomain("example.com", "*.example.com")).toBe(false);
    expect(matchesDomain("badexample.com", "*.example.com")).toBe(false);
  });

  it("parses allowlist entries and says what is wrong with a bad one", () => {
    expect(parseDomainPattern(" *.Example.com ")).toEqual({ ok: true, value: "*.example.com" });
    expect(parseDomainPattern("http://x.com")).toMatchObject({ ok: false });
    expect(parseDomainPattern("*")).toMatchObject({ ok: false });
    expect(parseDomainPattern("a.*.com")).toMatchObject({ ok: false });
  });

  it("decides by mode, name and method (methods only where they are visible)", () => {
    const allow = { mode: "allowlist" as const, domains: ["pypi.org"], methods: "read" as const };
    expect(checkRequest(allow, { host: "pypi.org", method: "GET" })).toBeNull();
    expect(checkRequest(allow, { host: "pypi.org", method: "POST" })).toBe("method");
    expect(checkRequest(allow, { host: "pypi.org", method: null })).toBeNull(); // CONNECT: the method is inside TLS
    expect(checkRequest(allow, { host: "evil.org", method: "GET" })).toBe("allowlist");
    expect(checkRequest({ mode: "off", domains: [], methods: "all" }, { host: "pypi.org", method: "GET" })).toBe("allowlist");
    expect(checkRequest({ mode: "on", domains: [], methods: "all" }, { host: "anything.example", method: "DELETE" })).toBeNull();
  });
});
