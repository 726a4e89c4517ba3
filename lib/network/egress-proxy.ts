import "server-only";
import dns from "node:dns";
import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { checkRequest, isPrivateAddress, REFUSAL_HEADER, refusalText, type EgressPolicy, type RefusalReason } from "./policy";

/**
 * The one way out of a sandbox: an HTTP proxy (absolute-form requests and CONNECT) on a Unix socket bound into the
 * sandbox's otherwise empty network namespace. It resolves names itself (the sandbox has no DNS), applies the
 * policy to the name and method, refuses private and Patchbay's own addresses after resolving (so a name that
 * resolves to 127.0.0.1 is refused too), connects to exactly the address it checked (no second lookup to rebind),
 * and reports every refusal, the first request to each host and the bytes moved.
 */

export type EgressEvent =
  | { kind: "refused"; host: string; port: number; method: string | null; reason: RefusalReason; message: string }
  | { kind: "allowed"; host: string; port: number; method: string | null };

export type HostStats = { requests: number; bytesIn: number; bytesOut: number };
export type EgressStats = { requests: number; refused: number; hosts: Record<string, HostStats> };

export type Resolver = (host: string) => Promise<string[]>;

export type EgressProxy = {
  readonly socketPath: string;
  stats(): EgressStats;
  close(): Promise<void>;
};

/** Resolves through the system (or `servers`, e.g. a filtering DNS); every address, IPv4 and IPv6. */
export function systemResolver(servers?: string[]): Resolver {
  if (servers?.length) {
    const r = new dns.promises.Resolver({ timeout: 5_000, tries: 2 });
    r.setServers(servers);
    return async (host) => {
      const [v4, v6] = await Promise.all([r.resolve4(host).catch(() => [] as string[]), r.resolve6(host).catch(() => [] as string[])]);
      return [...v4, ...v6];
    };
  }
  return async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

const CONNECT_TIMEOUT_MS = 30_000;
const IDLE_TIMEOUT_MS = 10 * 60_000;
const HOP_BY_HOP = new Set(["connection", "proxy-connection", "proxy-authorization", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);

type Decision = { ok: true; address: string } | { ok: false; reason: RefusalReason };

function parseAuthority(authority: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s]+)):(\d{1,5})$/.exec(authority);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] ?? m[2]).toLowerCase(), port };
}

export async function startEgressProxy(opts: {
  socketPath: string;
  policy: EgressPolicy;
  /** Patchbay's own hosts (web, database, model): refused by name and by address. */
  denied: { names: string[]; addresses: string[] };
  resolve?: Resolver;
  onEvent?: (e: EgressEvent) => void;
  maxConnections?: number;
}): Promise<EgressProxy> {
  const resolve = opts.resolve ?? systemResolver();
  const deniedNames = new Set(opts.denied.names.map((n) => n.toLowerCase()));
  const deniedAddresses = new Set(opts.denied.addresses);
  const stats: EgressStats = { requests: 0, refused: 0, hosts: {} };
  const seen = new Set<string>();
  const sockets = new Set<Duplex>();

  const count = (host: string, dir: "bytesIn" | "bytesOut", n: number) => {
    const h = (stats.hosts[host] ??= { requests: 0, bytesIn: 0, bytesOut: 0 });
    h[dir] += n;
  };
  const emit = (e: EgressEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // a failing listener must not break the proxy
    }
  };

  async function decide(host: string, port: number, method: string | null): Promise<Decision> {
    stats.requests++;
    const byName = checkRequest(opts.policy, { host, method });
    let decision: Decision;
    if (byName) decision = { ok: false, reason: byName };
    else if (deniedNames.has(host)) decision = { ok: false, reason: "patchbay_host" };
    else {
      let addresses: string[];
      try {
        addresses = net.isIP(host) ? [host] : await resolve(host);
      } catch {
        addresses = [];
      }
      if (addresses.length === 0) decision = { ok: false, reason: "unreachable" };
      else if (addresses.some(isPrivateAddress)) decision = { ok: false, reason: "private_address" };
      else if (addresses.some((a) => deniedAddresses.has(a))) decision = { ok: false, reason: "patchbay_host" };
      else decision = { ok: true, address: addresses[0] };
    }
    if (!decision.ok) {
      stats.refused++;
      emit({ kind: "refused", host, port, method, reason: decision.reason, message: refusalText(decision.reason, host, method) });
    } else {
      const h = (stats.hosts[host] ??= { requests: 0, bytesIn: 0, bytesOut: 0 });
      h.requests++;
      if (!seen.has(host)) {
        seen.add(host);
        emit({ kind: "allowed", host, port, method });
      }
    }
    return decision;
  }

  const refuse = (res: http.ServerResponse, reason: RefusalReason, host: string, method: string | null) => {
    const body = `Patchbay refused this request: ${refusalText(reason, host, method)}.\n`;
    res.writeHead(reason === "unreachable" ? 502 : reason === "bad_request" ? 400 : 403, {
      [REFUSAL_HEADER]: reason,
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      connection: "close",
    });
    res.end(body);
  };

  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    void (async () => {
      let url: URL;
      try {
        url = new URL(req.url ?? "");
        if (url.protocol !== "http:") throw new Error("scheme");
      } catch {
        return refuse(res, "bad_request", "?", req.method ?? null);
      }
      const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
      const port = url.port ? Number(url.port) : 80;
      const method = req.method ?? "GET";
      const decision = await decide(host, port, method);
      if (!decision.ok) return refuse(res, decision.reason, host, method);
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
      headers.host = url.host;
      const upstream = http.request({ host: decision.address, port, method, path: `${url.pathname}${url.search}`, headers, agent: false, setHost: false, timeout: CONNECT_TIMEOUT_MS });
      upstream.on("response", (up) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
        up.on("data", (chunk: Buffer) => count(host, "bytesIn", chunk.length));
        up.pipe(res);
      });
      upstream.on("timeout", () => upstream.destroy(new Error("timeout")));
      upstream.on("error", () => {
        if (!res.headersSent) refuse(res, "unreachable", host, method);
        else res.destroy();
      });
      req.on("data", (chunk: Buffer) => count(host, "bytesOut", chunk.length));
      req.pipe(upstream);
    })();
  });

  server.on("connect", (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    void (async () => {
      const target = parseAuthority(req.url ?? "");
      const reply = (status: string, reason: RefusalReason, host: string) => {
        const body = `Patchbay refused this connection: ${refusalText(reason, host, null)}.\n`;
        client.end(
          `HTTP/1.1 ${status}\r\n${REFUSAL_HEADER}: ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      };
      if (!target) return reply("400 Bad Request", "bad_request", "?");
      const decision = await decide(target.host, target.port, null);
      if (!decision.ok) return reply(decision.reason === "unreachable" ? "502 Bad Gateway" : "403 Forbidden", decision.reason, target.host);
      const upstream = net.connect({ host: decision.address, port: target.port, timeout: CONNECT_TIMEOUT_MS });
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.once("connect", () => {
        upstream.setTimeout(IDLE_TIMEOUT_MS);
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length) upstream.write(head);
        upstream.on("data", (chunk: Buffer) => count(target.host, "bytesIn", chunk.length));
        client.on("data", (chunk: Buffer) => count(target.host, "bytesOut", chunk.length));
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on("timeout", () => upstream.destroy());
      upstream.on("error", () => {
        if (!client.writableEnded) reply("502 Bad Gateway", "unreachable", target.host);
      });
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    })();
  });
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  server.maxConnections = opts.maxConnections ?? 256;

  await fs.rm(opts.socketPath, { force: true });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(opts.socketPath, () => resolveListen());
  });
  // The sandbox user connects to it (connect() needs write permission on the socket).
  await fs.chmod(opts.socketPath, 0o666);

  return {
    socketPath: opts.socketPath,
    stats: () => structuredClone(stats),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await fs.rm(opts.socketPath, { force: true });
    },
  };
}
