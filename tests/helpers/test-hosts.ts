import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";

/**
 * Hosts of their own on this machine, for what crosses a network: a network namespace joined to the host by a
 * veth pair, with an address in 198.51.100.0/24 (TEST-NET-2: not private, so the egress proxy treats it as a
 * public host) and an HTTP server that echoes what it was asked. Needs root and iproute2.
 */
export type TestHost = { ip: string; /** The network namespace, for `ip netns exec` of further servers. */ ns: string; close(): Promise<void> };

const ECHO_SERVER = `
const http = require("node:http");
http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    res.setHeader("content-type", "text/plain");
    res.end("test-host " + process.argv[1] + " got " + req.method + " " + req.url + " host=" + req.headers.host + (body ? " body=" + body : "") + "\\n");
  });
}).listen(80, process.argv[1], () => console.log("listening"));
`;

function ip(args: string[]) {
  execFileSync("ip", args, { stdio: "pipe" });
}

/** `slot` 1..60 picks the /30 (two parallel test files must use different slots). */
export async function startTestHost(slot: number): Promise<TestHost> {
  const id = crypto.randomBytes(3).toString("hex");
  const ns = `pbt-${id}`;
  const hostSide = `pbh${id}`;
  const nsSide = `pbn${id}`;
  const base = slot * 4;
  const gateway = `198.51.100.${base + 1}`;
  const address = `198.51.100.${base + 2}`;
  ip(["netns", "add", ns]);
  let server: ChildProcess | null = null;
  try {
    ip(["link", "add", hostSide, "type", "veth", "peer", "name", nsSide]);
    ip(["link", "set", nsSide, "netns", ns]);
    ip(["addr", "add", `${gateway}/30`, "dev", hostSide]);
    ip(["link", "set", hostSide, "up"]);
    ip(["netns", "exec", ns, "ip", "addr", "add", `${address}/30`, "dev", nsSide]);
    ip(["netns", "exec", ns, "ip", "link", "set", nsSide, "up"]);
    ip(["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
    ip(["netns", "exec", ns, "ip", "route", "add", "default", "via", gateway]);
    server = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", ECHO_SERVER, address], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout?.once("data", () => resolve());
      server!.once("exit", (code) => reject(new Error(`test host server exited ${code}`)));
    });
  } catch (err) {
    server?.kill("SIGKILL");
    try {
      ip(["link", "del", hostSide]);
    } catch {
      // not made yet
    }
    ip(["netns", "del", ns]);
    throw err;
  }
  return {
    ip: address,
    ns,
    async close() {
      server?.kill("SIGKILL");
      await new Promise((r) => (server?.exitCode === null ? server.once("exit", r) : r(null)));
      try {
        ip(["link", "del", hostSide]);
      } catch {
        // gone with the namespace
      }
      ip(["netns", "del", ns]);
    },
  };
}
