import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Default fixture: e2e/fixtures/github.json next to this folder. */
export const DEFAULT_FIXTURE_PATH = fileURLToPath(new URL("../../fixtures/github.json", import.meta.url));

const branchSpec = z.object({
  name: z.string().min(1),
  from: z.string().min(1),
  message: z.string().default("Update"),
  files: z.record(z.string(), z.string()),
});

const repoSpec = z.object({
  fullName: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
  id: z.number().int().optional(),
  installation: z.number().int(),
  private: z.boolean().default(false),
  description: z.string().nullable().default(null),
  defaultBranch: z.string().default("main"),
  /** A directory, relative to the fixture file, whose files become the first commit. */
  source: z.string().optional(),
  /** README.md content when there is no source directory. */
  readme: z.string().optional(),
  branches: z.array(branchSpec).default([]),
});

const generateSpec = z.object({
  owner: z.string(),
  prefix: z.string(),
  count: z.number().int().min(1),
  pad: z.number().int().default(0),
  firstId: z.number().int(),
  installation: z.number().int(),
  private: z.boolean().default(false),
  /** "{name}" is replaced by the repository name. */
  readme: z.string().default("# {name}\n"),
});

const fixtureSchema = z.object({
  app: z.object({
    id: z.number().int(),
    slug: z.string(),
    name: z.string(),
    clientId: z.string(),
    clientSecret: z.string(),
    /** The secret the fake signs its webhook deliveries with (GITHUB_WEBHOOK_SECRET of the app). */
    webhookSecret: z.string().default("patchbay-fake-webhook-secret"),
  }),
  users: z.array(z.object({ login: z.string(), id: z.number().int(), name: z.string(), email: z.string() })),
  orgs: z.array(z.object({ login: z.string(), id: z.number().int(), name: z.string().optional() })).default([]),
  installations: z.array(
    z.object({
      id: z.number().int(),
      account: z.string(),
      users: z.array(z.string()),
      repositorySelection: z.enum(["all", "selected"]).default("selected"),
      permissions: z
        .record(z.string(), z.enum(["read", "write", "admin"]))
        .default({ contents: "write", pull_requests: "write", issues: "write", metadata: "read" }),
    }),
  ),
  repos: z.array(repoSpec),
  generate: z.array(generateSpec).default([]),
});

export type BranchSpec = z.infer<typeof branchSpec>;
export type RepoSpec = z.infer<typeof repoSpec> & { id: number; sourceDir?: string };
export type Fixture = Omit<z.infer<typeof fixtureSchema>, "repos" | "generate"> & { repos: RepoSpec[] };

/** Reads and validates the fixture; expands `generate` entries into plain repos. */
export function loadFixture(fixturePath: string = DEFAULT_FIXTURE_PATH): Fixture {
  const raw: unknown = JSON.parse(readFileSync(fixturePath, "utf8"));
  const parsed = fixtureSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`Invalid fake GitHub fixture ${fixturePath}: ${z.prettifyError(parsed.error)}`);
  const { repos, generate, ...rest } = parsed.data;
  const baseDir = path.dirname(fixturePath);
  let nextId = 3000;
  const out: RepoSpec[] = repos.map((r) => ({
    ...r,
    id: r.id ?? ++nextId,
    sourceDir: r.source ? path.resolve(baseDir, r.source) : undefined,
  }));
  for (const g of generate) {
    for (let i = 1; i <= g.count; i++) {
      const name = `${g.prefix}${String(i).padStart(g.pad, "0")}`;
      out.push({
        fullName: `${g.owner}/${name}`,
        id: g.firstId + i - 1,
        installation: g.installation,
        private: g.private,
        description: null,
        defaultBranch: "main",
        readme: g.readme.replaceAll("{name}", name),
        branches: [],
      });
    }
  }
  const installationIds = new Set(rest.installations.map((i) => i.id));
  for (const r of out) {
    if (!installationIds.has(r.installation)) throw new Error(`Fixture repo ${r.fullName}: unknown installation ${r.installation}`);
  }
  return { ...rest, repos: out };
}
