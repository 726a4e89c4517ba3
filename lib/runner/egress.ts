import "server-only";
import path from "node:path";
import type { EnvironmentRow } from "@/db/queries/environments";
import type { AttemptEventWriter } from "@/lib/events/writer";
import { startEgressProxy, systemResolver, type EgressProxy } from "@/lib/network/egress-proxy";
import { COMMON_REGISTRIES, type EgressPolicy } from "@/lib/network/policy";
import type { RunnerConfig } from "./config";
import type { AttemptWorkspace } from "./workspace";

/**
 * A phase's way out (setup, agent): an egress proxy of its own on a socket in the attempt's folder, its decisions
 * written to the task log as `network` events, and a summary of what went out when the phase ends.
 */

export type PhaseNetwork = { network: "off" } | { network: "proxy"; proxySocket: string; proxy: EgressProxy };

/** The agent's policy from the environment: off unless turned on or given an allowlist. */
export function agentPolicy(environment: EnvironmentRow | null): EgressPolicy | null {
  if (!environment || environment.internetPolicy === "off") return null;
  const methods = environment.allowedMethods.length && environment.allowedMethods.every((m) => ["GET", "HEAD", "OPTIONS"].includes(m)) ? "read" : "all";
  if (environment.internetPolicy === "on") return { mode: "on", domains: [], methods };
  const domains = environment.allowedDomains.flatMap((d) => (d === "preset:common" ? [...COMMON_REGISTRIES] : [d]));
  return { mode: "allowlist", domains, methods };
}

/** The setup phase installs dependencies: any public host, every method. */
export const SETUP_POLICY: EgressPolicy = { mode: "on", domains: [], methods: "all" };

export async function openPhaseNetwork(opts: {
  config: RunnerConfig;
  workspace: AttemptWorkspace;
  phase: "setup" | "agent";
  policy: EgressPolicy | null;
  events: AttemptEventWriter;
}): Promise<PhaseNetwork> {
  if (!opts.policy) return { network: "off" };
  const socket = path.join(opts.workspace.root, `egress-${opts.phase}.sock`);
  const proxy = await startEgressProxy({
    socketPath: socket,
    policy: opts.policy,
    denied: opts.config.egress.denied(),
    resolve: systemResolver(opts.config.egress.dnsServers),
    onEvent: (e) => void opts.events.append("network", { phase: opts.phase, ...e }),
  });
  return { network: "proxy", proxySocket: socket, proxy };
}

/** Closes the phase's proxy and logs what went out. */
export async function closePhaseNetwork(net: PhaseNetwork, events: AttemptEventWriter, phase: "setup" | "agent"): Promise<void> {
  if (net.network === "off") return;
  const stats = net.proxy.stats();
  await net.proxy.close().catch(() => undefined);
  if (stats.requests === 0) return;
  await events.append("network", { phase, kind: "summary", requests: stats.requests, refused: stats.refused, hosts: stats.hosts });
}
