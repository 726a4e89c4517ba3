/**
 * The egress proxy's cost per HTTPS request (issue 13): a fresh TLS connection + one GET to an HTTPS server on a
 * test host (a network namespace of its own, TEST-NET-2: "public" to the proxy), made directly, then through the
 * proxy's Unix socket with CONNECT (what a sandboxed client does, minus the socat bridge), in one run. Also plain
 * HTTP forwarding. Medians of 200.
 *
 * Run (root: network namespaces): npx tsx --conditions=react-server bench/egress-proxy.ts
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { startEgressProxy } from "@/lib/network/egress-proxy";
import { startTestHost } from "@/tests/helpers/test-hosts";
import { loadNote, median, ms, quantile } from "./lib/stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 200);

const HTTPS_SERVER = `
const https = require("node:https"); const fs = require("node:fs");
https.createServer({ key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3]) }, (req, res) => res.end("ok"))
  .listen(443, process.argv[1], () => console.log("listening"));
`;

function get(socket: net.Socket | tls.TLSSocket, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    socket.on("data", () => {});
    socket.once("end", () => resolve());
  });
}

async function direct(ip: string): Promise<void> {
  const socket = tls.connect({ host: ip, port: 443, servername: "bench.test", rejectUnauthorized: false });
  await new Promise<void>((r, j) => socket.once("secureConnect", () => r()).once("error", j));
  await get(socket, "bench.test");
  socket.destroy();
}

async function viaProxy(sock: string): Promise<void> {
  const raw = await new Promise<net.Socket>((resolve, reject) => {
    const req = http.request({ socketPath: sock, method: "CONNECT", path: "bench.test:443" });
    req.once("connect", (res, socket) => (res.statusCode === 200 ? resolve(socket) : reject(new Error(`CONNECT ${res.statusCode}`))));
    req.once("error", reject);
    req.end();
  });
  const socket = tls.connect({ socket: raw, servername: "bench.test", rejectUnauthorized: false });
  await new Promise<void>((r, j) => socket.once("secureConnect", () => r()).once("error", j));
  await get(socket, "bench.test");
  socket.destroy();
}

async function timeIt(fn: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function main() {
  if (process.getuid?.() !== 0) {
    console.log("egress-proxy: needs root (network namespaces); skipped");
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-bench-proxy-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=bench.test", "-days", "1", "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`], { stdio: "ignore" });
  const host = await startTestHost(40);
  // An HTTPS server on the test host, in its namespace.
  const server = spawn("ip", ["netns", "exec", host.ns, process.execPath, "-e", HTTPS_SERVER, host.ip, `${dir}/key.pem`, `${dir}/cert.pem`], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((r) => server.stdout?.once("data", () => r()));
  const proxy = await startEgressProxy({
    socketPath: path.join(dir, "proxy.sock"),
    policy: { mode: "on", domains: [], methods: "all" },
    denied: { names: [], addresses: [] },
    resolve: async (name) => (name === "bench.test" ? [host.ip] : []),
  });
  try {
    const plain = await timeIt(() => direct(host.ip));
    const proxied = await timeIt(() => viaProxy(proxy.socketPath));
    console.log(`egress proxy: one HTTPS request on a fresh connection (TLS handshake + GET), ${RUNS} runs; ${loadNote()}`);
    console.log(`  direct to the test host (anchor)        median ${ms(median(plain)).padStart(8)}   p95 ${ms(quantile(plain, 0.95))}`);
    console.log(`  through the proxy (CONNECT on its socket) median ${ms(median(proxied)).padStart(8)}   p95 ${ms(quantile(proxied, 0.95))}`);
    console.log(`  overhead per request: ${ms(median(proxied) - median(plain))}`);
  } finally {
    await proxy.close();
    server.kill("SIGKILL");
    await host.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
