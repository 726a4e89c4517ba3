import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertEnvironment } from "@/db/queries/environments";
import { environments } from "@/db/schema";
import { encryptText } from "@/lib/crypto";
import { startDnsServer } from "../helpers/dns-server";
import { startTestHost, type TestHost } from "../helpers/test-hosts";
import { attack, sh, startHostileStack, type HostileStack } from "./harness";

/**
 * A sandbox's only way out is Patchbay's egress proxy. Test hosts live in network namespaces of their own
 * (addresses in TEST-NET-2, public as far as the proxy is concerned); names resolve through a test DNS server the
 * proxy is configured with. Checked on the host: what the test host received, and the network events logged.
 */
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("the egress proxy, from inside real attempts", () => {
  let s: HostileStack;
  let host: TestHost;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  let dbPort = 0;

  beforeAll(async () => {
    host = await startTestHost(10);
    dns = await startDnsServer({
      "registry.test": host.ip,
      "elsewhere.test": host.ip,
      "loopback.test": "127.0.0.1",
      "metadata.test": "169.254.169.254",
    });
    dbPort = Number(new URL(process.env.DATABASE_URL ?? "postgres://x@127.0.0.1:5432/x").port || 5432);
    const curl = (url: string, extra = "") => `curl -s -m 10 -o /dev/null -w "${url} %{http_code} %header{x-patchbay-refused}\\n" ${extra} ${url}`;
    s = await startHostileStack({
      egressDnsServers: [dns.address],
      scenarios: () => [
        attack("reach-out", [
          sh(
            [
              curl("http://registry.test/pkg"),
              curl("http://registry.test/upload", "-X POST -d x=1"),
              curl("http://elsewhere.test/"),
              curl("http://loopback.test/"),
              curl("http://metadata.test/latest/meta-data/"),
              // The host's own database port, asked of the proxy on purpose (NO_PROXY would keep it on the sandbox's loopback).
              curl(`http://127.0.0.1:${dbPort}/`, `--noproxy ""`),
              curl(`http://${host.ip}/by-address`),
              // HTTPS goes through CONNECT: the proxy sees the host, not the method (a plain-text tunnel here).
              `curl -s -m 10 -p -o /dev/null -w "tunnel %{http_code}\\n" http://registry.test/through-tunnel`,
              `curl -s -m 10 -p -o /dev/null -w "tunnel-refused %{http_code}\\n" http://elsewhere.test/ || echo "tunnel-refused failed"`,
              `curl -s -m 5 --noproxy '*' http://${host.ip}/direct || echo "direct: no route"`,
              `getent hosts registry.test || echo "no DNS in the sandbox"`,
            ].join("; "),
          ),
        ]),
        attack("setup-only", [sh(`curl -s -m 5 http://registry.test/agent-try -o /dev/null -w "agent %{http_code} %header{x-patchbay-refused}\\n"; echo "agent done"`)]),
      ],
    });
  });
  afterAll(async () => {
    await s?.close();
    await dns?.close();
    await host?.close();
  });

  async function environment(settings: { internetPolicy: "off" | "allowlist" | "on"; allowedDomains?: string[]; allowedMethods?: string[]; setupScript?: string }) {
    await s.handle.db.delete(environments);
    await upsertEnvironment(
      s.handle.db,
      { ownerId: s.userId, repoFullName: "acme/widgets" },
      {
        defaultBranch: "main",
        setupScript: settings.setupScript ?? "",
        envVars: {},
        secretsEncrypted: encryptText(JSON.stringify({})),
        internetPolicy: settings.internetPolicy,
        allowedDomains: settings.allowedDomains ?? [],
        allowedMethods: settings.allowedMethods ?? [],
        setupTimeoutSeconds: 60,
      },
    );
  }

  const line = (log: string, url: string) => new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} (\\d{3}) ?(\\S*)$`, "m").exec(log)?.slice(1);

  it("allowlist + read-only methods: the listed host answers GET, everything else is refused with its reason", async () => {
    await environment({ internetPolicy: "allowlist", allowedDomains: ["registry.test", "loopback.test", "metadata.test"], allowedMethods: ["GET", "HEAD", "OPTIONS"] });
    const { attempt, log, events } = await s.run("reach-out");
    expect(attempt.errorMessage).toBeNull();
    expect(attempt.status).toBe("succeeded");
    expect(line(log, "http://registry.test/pkg")).toEqual(["200", ""]);
    expect(line(log, "http://registry.test/upload")).toEqual(["403", "method"]);
    expect(line(log, "http://elsewhere.test/")).toEqual(["403", "allowlist"]);
    // Listed, but it resolves to loopback / the metadata address: refused after resolving.
    expect(line(log, "http://loopback.test/")).toEqual(["403", "private_address"]);
    expect(line(log, "http://metadata.test/latest/meta-data/")).toEqual(["403", "private_address"]);
    expect(line(log, `http://127.0.0.1:${dbPort}/`)).toEqual(["403", "allowlist"]);
    expect(log).toContain("tunnel 200");
    expect(log).toMatch(/tunnel-refused (403|000)/);
    expect(log).toContain("direct: no route");
    expect(log).toContain("no DNS in the sandbox");

    const network = events.filter((e) => e.type === "network").map((e) => e.payload);
    expect(network).toContainEqual(expect.objectContaining({ phase: "agent", kind: "allowed", host: "registry.test" }));
    expect(network).toContainEqual(expect.objectContaining({ kind: "refused", host: "registry.test", method: "POST", reason: "method" }));
    expect(network).toContainEqual(expect.objectContaining({ kind: "refused", host: "elsewhere.test", reason: "allowlist", message: "elsewhere.test is not on this environment's internet allowlist" }));
    expect(network).toContainEqual(expect.objectContaining({ kind: "refused", host: "loopback.test", reason: "private_address" }));
    const summary = network.find((p) => p.kind === "summary");
    expect(summary).toMatchObject({ phase: "agent", hosts: { "registry.test": { requests: 2 } } });
    expect((summary?.hosts as Record<string, { bytesIn: number }>)["registry.test"].bytesIn).toBeGreaterThan(0);
  });

  it("on: any public host, by name or address; still never a private one", async () => {
    await environment({ internetPolicy: "on" });
    const { log } = await s.run("reach-out");
    expect(line(log, "http://registry.test/upload")).toEqual(["200", ""]);
    expect(line(log, "http://elsewhere.test/")).toEqual(["200", ""]);
    expect(line(log, `http://${host.ip}/by-address`)).toEqual(["200", ""]);
    expect(line(log, "http://loopback.test/")).toEqual(["403", "private_address"]);
    // 127.0.0.1 is also Patchbay's own web host here: refused for either reason.
    expect(line(log, `http://127.0.0.1:${dbPort}/`)).toEqual(["403", expect.stringMatching(/^(private_address|patchbay_host)$/)]);
    expect(log).toContain("direct: no route");
  });

  it("off (the default): the agent has no way out; setup still reaches the registry through the proxy", async () => {
    await environment({ internetPolicy: "off", setupScript: 'curl -s -m 10 http://registry.test/setup-fetch; curl -s -m 5 -o /dev/null -w "setup-private %{http_code}\\n" http://loopback.test/' });
    const { attempt, log, events } = await s.run("setup-only");
    expect(attempt.status).toBe("succeeded");
    expect(log).toContain(`test-host ${host.ip} got GET /setup-fetch host=registry.test`);
    expect(log).toContain("setup-private 403");
    expect(log).toMatch(/agent 000/);
    expect(events.filter((e) => e.type === "network").every((e) => e.payload.phase === "setup")).toBe(true);
  });
});
