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

function policyOf(mode: EnvironmentRow["internetPolicy"], environment: EnvironmentRow): EgressPolicy | null {
  if (mode === "off") return null;
  const methods = environment.allowedMethods.length > 0 && environment.allowedMethods.every((m) => ["GET", "HEAD", "OPTIONS"].includes(m)) ? "read" : "all";
  if (mode === "on") return { mode: "on", domains: [], methods };
  const domains = [...(environment.allowlistPreset === "common" ? COMMON_REGISTRIES : []), ...environment.allowedDomains];
  return { mode: "allowlist", domains, methods };
}

/** The agent's policy from its environment: off unless allowed (no environment: off). */
export function agentPolicy(environment: EnvironmentRow | null): EgressPolicy | null {
  return environment ? policyOf(environment.internetPolicy, environment) : null;
}

/** The setup phase's policy: its own mode (default on: it installs dependencies), the same allowlist. */
export function setupPolicy(environment: EnvironmentRow): EgressPolicy | null {
  const policy = policyOf(environment.setupInternetPolicy, environment);
  // The method rule is for the agent; setup installs packages (POSTs to registries' APIs happen).
  return policy ? { ...policy, methods: "all" } : null;
}

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
