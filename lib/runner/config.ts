import "server-only";
import crypto from "node:crypto";
import dns from "node:dns";
import net from "node:net";
import os from "node:os";
import type { AgentLimits } from "@/lib/agent/loop";
import { DEFAULT_PRICES, type ModelPrice } from "@/lib/agent/pricing";
import type { ModelClientOptions } from "@/lib/agent/model";
import { enginesConfigFromEnv, type EnginesConfig } from "@/lib/engines";
import { getEnv, type Env } from "@/lib/env";
import { getRepoInstallationToken, repoGitUrl } from "@/lib/github/app";
import type { SandboxLimits } from "@/lib/sandbox";

export type RunnerConfig = {
  runnerId: string;
  dataDir: string;
  concurrency: number;
  perUserLimit: number;
  /** A job whose lease is not renewed within this time belongs to a dead runner. */
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  sweepMs: number;
  /** A mirror fetched less than this long ago is not fetched again for a new task (tasks submitted together). */
  mirrorFreshMs: number;
  /** Finished attempts' workspaces older than this are removed. */
  workspaceTtlMs: number;
  attemptTimeoutMs: number;
  branchPrefix: string;
  model: ModelClientOptions | null;
  /** The engines an attempt can run (lib/engines) and their models. */
  engines: EnginesConfig;
  agentLimits: AgentLimits;
  /** USD per 1M tokens by model (DEFAULT_PRICES with MODEL_PRICES on top). */
  modelPrices: Record<string, ModelPrice>;
  /** Which tool surface the agent gets ("auto": by model family). */
  agentTools: "auto" | "exec_command" | "shell";
  sandbox: {
    bwrapPath: string;
    /** Per-command limits (and the per-process fallbacks when there is no cgroup). */
    limits: SandboxLimits;
    /** Limits of the whole attempt. */
    attempt: { memoryBytes: number; diskBytes: number; maxProcesses: number; cpuSeconds: number; cpuCores?: number };
    cgroup: { mode: "auto" | "off"; parent?: string };
    /** Volumes made ahead of need, so that a turn does not wait for mkfs (0: each turn makes its own). */
    volumePool: number;
  };
  github: { tokenFor(repoFullName: string): Promise<string>; remoteUrl(repoFullName: string): string };
  /** Cached environments on this runner's disk. */
  cache: { ttlMs: number; maxBytes: number };
  egress: {
    /** DNS servers the egress proxy resolves with (default: the system's resolver). */
    dnsServers?: string[];
    /** Patchbay's own hosts (web, database, model), by name and resolved address: no sandbox reaches them. */
    denied(): { names: string[]; addresses: string[] };
  };
};

/** Host names of the URLs Patchbay itself serves or uses, and (refreshed in the background) their addresses. */
function ownHosts(urls: (string | undefined)[]): () => { names: string[]; addresses: string[] } {
  const names = [
    ...new Set(
      urls.flatMap((u) => {
        try {
          return u ? [new URL(u).hostname.replace(/^\[|\]$/g, "").toLowerCase()] : [];
        } catch {
          return [];
        }
      }),
    ),
  ];
  let addresses: string[] = names.filter((n) => net.isIP(n));
  let refreshed = 0;
  const refresh = () => {
    refreshed = Date.now();
    void Promise.all(names.filter((n) => !net.isIP(n)).map((n) => dns.promises.lookup(n, { all: true }).then((r) => r.map((a) => a.address), () => [])))
      .then((lists) => (addresses = [...new Set([...names.filter((n) => net.isIP(n)), ...lists.flat()])]));
  };
  return () => {
    if (Date.now() - refreshed > 5 * 60_000) refresh();
    return { names, addresses };
  };
}

const MiB = 1024 * 1024;

export function runnerConfigFromEnv(env: Env = getEnv(), overrides: Partial<RunnerConfig> = {}): RunnerConfig {
  const model: ModelClientOptions | null =
    env.OPENAI_API_KEY || env.OPENAI_BASE_URL
      ? {
          baseURL: env.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
          apiKey: env.OPENAI_API_KEY ?? "unused",
          model: env.OPENAI_MODEL,
          apiMode: env.OPENAI_API_MODE,
          reasoningEffort: env.OPENAI_REASONING_EFFORT,
          reasoningSummary: env.OPENAI_REASONING_SUMMARY,
          timeoutMs: 10 * 60_000,
          maxRetries: 3,
        }
      : null;
  return {
    runnerId: `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString("hex")}`,
    dataDir: env.dataDir,
    concurrency: env.RUNNER_CONCURRENCY,
    perUserLimit: env.RUNNER_PER_USER_CONCURRENCY,
    leaseMs: env.RUNNER_LEASE_SECONDS * 1000,
    heartbeatMs: 1_000,
    pollMs: 2_000,
    // The sweeper is one indexed UPDATE: running it every second ends a dead runner's attempts within lease + 1 s.
    sweepMs: 1_000,
    workspaceTtlMs: env.WORKSPACE_TTL_HOURS * 3600_000,
    mirrorFreshMs: env.MIRROR_FRESH_SECONDS * 1000,
    attemptTimeoutMs: env.ATTEMPT_TIMEOUT_SECONDS * 1000,
    branchPrefix: env.PATCHBAY_BRANCH_PREFIX,
    model,
    engines: enginesConfigFromEnv(env, model),
    agentLimits: {
      maxSteps: env.AGENT_MAX_STEPS,
      maxTokens: env.AGENT_MAX_TOKENS,
      commandTimeoutMs: env.COMMAND_TIMEOUT_SECONDS * 1000,
      contextWindowTokens: env.OPENAI_CONTEXT_WINDOW,
    },
    agentTools: env.OPENAI_TOOL_SURFACE,
    modelPrices: { ...DEFAULT_PRICES, ...env.MODEL_PRICES },
    sandbox: {
      bwrapPath: env.SANDBOX_BWRAP_PATH,
      limits: {
        maxProcesses: env.SANDBOX_PROCESSES,
        maxFileBytes: 512 * 1024 * 1024,
        maxOutputBytes: 1024 * 1024,
        memoryBytes: env.SANDBOX_MEMORY_MB * MiB,
      },
      attempt: {
        memoryBytes: env.SANDBOX_MEMORY_MB * MiB,
        diskBytes: env.SANDBOX_DISK_MB * MiB,
        maxProcesses: env.SANDBOX_PROCESSES,
        cpuSeconds: env.SANDBOX_CPU_SECONDS,
        cpuCores: env.SANDBOX_CPUS,
      },
      cgroup: { mode: env.SANDBOX_CGROUP, parent: env.SANDBOX_CGROUP_PARENT },
      volumePool: 2,
    },
    github: {
      tokenFor: async (repo) => (await getRepoInstallationToken(repo)).token,
      remoteUrl: repoGitUrl,
    },
    cache: { ttlMs: env.ENV_CACHE_TTL_HOURS * 3600_000, maxBytes: env.ENV_CACHE_MAX_MB * MiB },
    egress: {
      dnsServers: env.EGRESS_DNS_SERVERS?.split(",").map((s) => s.trim()).filter(Boolean),
      denied: ownHosts([env.NEXTAUTH_URL, env.DATABASE_URL, env.OPENAI_BASE_URL, env.ANTHROPIC_BASE_URL]),
    },
    ...overrides,
  };
}
