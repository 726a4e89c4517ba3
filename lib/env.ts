import "server-only";
import path from "node:path";
import { z } from "zod";

/**
 * Every setting Patchbay reads, parsed once. Nothing else in the code base touches process.env
 * (next-auth itself also reads NEXTAUTH_URL, which is why that name is kept).
 */
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().url().optional(),
  PATCHBAY_DATA_DIR: z.string().default(".data"),
  NEXTAUTH_URL: z.string().url().default("http://localhost:3000"),
  NEXTAUTH_SECRET: z.string().min(16).optional(),

  GITHUB_URL: z.string().url().default("https://github.com"),
  GITHUB_API_URL: z.string().url().default("https://api.github.com"),
  GITHUB_APP_ID: z.string().regex(/^\d+$/, "GITHUB_APP_ID is the App's numeric id").optional(),
  GITHUB_APP_SLUG: z.string().optional(),
  GITHUB_APP_PRIVATE_KEY: z.string().optional(),
  GITHUB_CLIENT_ID: z.string().optional(),
  GITHUB_CLIENT_SECRET: z.string().optional(),
  GITHUB_REPO_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(120),
  /** The GitHub App's webhook secret: deliveries to /api/github/webhook must be signed with it (unset: refused). */
  GITHUB_WEBHOOK_SECRET: z.string().min(16, "GITHUB_WEBHOOK_SECRET needs at least 16 characters").optional(),
  /** How comments address Patchbay on GitHub (`@patchbay review`, `@patchbay fix …`); `@<app slug>` works too. */
  GITHUB_MENTION: z
    .string()
    .regex(/^@?[A-Za-z0-9][A-Za-z0-9_-]{0,38}(\[bot\])?$/, "GITHUB_MENTION is a GitHub handle such as @patchbay")
    .default("@patchbay"),

  /** Personal access tokens: requests per minute a token may make on average, and how many it may make at once. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
  API_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(100_000).default(60),

  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  OPENAI_MODEL: z.string().default("gpt-5-codex"),
  OPENAI_API_MODE: z.enum(["responses", "chat"]).default("responses"),
  OPENAI_REASONING_EFFORT: z.enum(["low", "medium", "high"]).optional(),
  OPENAI_REASONING_SUMMARY: z.enum(["auto", "concise", "detailed", "none"]).default("auto"),
  OPENAI_TOOL_SURFACE: z.enum(["auto", "exec_command", "shell"]).default("auto"),
  MODEL_PRICES: z
    .string()
    .transform((v, ctx) => {
      try {
        return z.record(z.string(), z.object({ input: z.number().min(0), cachedInput: z.number().min(0), output: z.number().min(0) })).parse(JSON.parse(v));
      } catch {
        ctx.addIssue({ code: "custom", message: 'MODEL_PRICES is JSON: {"model": {"input": 1.25, "cachedInput": 0.125, "output": 10}} (USD per 1M tokens)' });
        return z.NEVER;
      }
    })
    .optional(),
  OPENAI_CONTEXT_WINDOW: z.coerce.number().int().min(4096).optional(),

  /** Claude Code (an engine): the Anthropic Messages API, reached by the engine only through the model gateway. */
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  ANTHROPIC_MODEL: z.string().optional(),
  /** The engine of environments that name none, and of tasks without one. */
  PATCHBAY_DEFAULT_ENGINE: z.enum(["patchbay", "codex", "claude"]).default("patchbay"),

  PATCHBAY_BRANCH_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, "PATCHBAY_BRANCH_PREFIX may hold letters, digits, dot, dash and underscore")
    .default("patchbay"),
  RUNNER_EMBEDDED: bool.optional(),
  RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  RUNNER_PER_USER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  RUNNER_LEASE_SECONDS: z.coerce.number().int().min(2).max(600).default(30),
  AGENT_MAX_STEPS: z.coerce.number().int().min(1).max(500).default(60),
  AGENT_MAX_TOKENS: z.coerce.number().int().min(1000).default(2_000_000),
  COMMAND_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(600),
  ATTEMPT_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(24 * 3600).default(1800),
  WORKSPACE_TTL_HOURS: z.coerce.number().min(1).default(72),
  MIRROR_FRESH_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  SANDBOX_BWRAP_PATH: z.string().default("bwrap"),
  SANDBOX_MEMORY_MB: z.coerce.number().int().min(64).default(4096),
  SANDBOX_DISK_MB: z.coerce.number().int().min(64).default(4096),
  SANDBOX_PROCESSES: z.coerce.number().int().min(16).max(65536).default(512),
  SANDBOX_CPU_SECONDS: z.coerce.number().int().min(1).default(3600),
  SANDBOX_CPUS: z.coerce.number().positive().max(1024).optional(),
  SANDBOX_CGROUP: z.enum(["auto", "off"]).default("auto"),
  ENV_CACHE_TTL_HOURS: z.coerce.number().positive().default(12),
  ENV_CACHE_MAX_MB: z.coerce.number().int().min(0).default(20480),
  EGRESS_DNS_SERVERS: z.string().regex(/^[0-9a-fA-F:.,\[\] ]+$/, "EGRESS_DNS_SERVERS is a comma-separated list of IP addresses (ip or ip:port)").optional(),
  SANDBOX_CGROUP_PARENT: z.string().startsWith("/sys/fs/cgroup/", "SANDBOX_CGROUP_PARENT is a directory under /sys/fs/cgroup").optional(),
});

export type Env = z.infer<typeof schema> & { dataDir: string };

let cached: Env | undefined;

export function getEnv(): Env {
  if (cached) return cached;
  // A blank line in .env.local (`DATABASE_URL=`) means "not set", as it reads.
  const present = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  cached = { ...parsed.data, dataDir: path.resolve(parsed.data.PATCHBAY_DATA_DIR) };
  return cached;
}

/** Embedded mode: PGlite in the data folder and the runner inside the web process. */
export function isEmbedded(env: Env = getEnv()): boolean {
  return !env.DATABASE_URL;
}

export function runsRunnerInProcess(env: Env = getEnv()): boolean {
  return env.RUNNER_EMBEDDED ?? isEmbedded(env);
}
