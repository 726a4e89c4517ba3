import { z } from "zod";
import { ENGINE_NAMES, type EngineName } from "@/lib/engines/names";
import { text } from "@/lib/text";
import { DOMAIN_PATTERN, MAX_ALLOWED_DOMAINS, normalizeDomain, NOT_A_HOST } from "./domain-rule";

const varName = text()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "names are letters, digits and _, not starting with a digit")
  .refine((n) => !["PATH", "HOME", "PWD", "SHELL", "USER", "LANG", "TERM"].includes(n), "is set by the sandbox");
const varValue = text().max(8192, "values are at most 8 KiB");

const policy = z.enum(["off", "allowlist", "on"]);

/** A host name of the allowlist: example.com or *.example.com (normalized to lower case); the form checks the same rule. */
const allowedDomain = text()
  .transform(normalizeDomain)
  .pipe(z.string().min(1, "is empty").max(253, "is too long").regex(DOMAIN_PATTERN, NOT_A_HOST));

export const environmentInput = z.object({
  setupScript: text().max(64 * 1024, "is longer than 64 KiB").default(""),
  /** Runs instead of setup when a cached environment is reused on a newer commit. */
  maintenanceScript: text().max(64 * 1024, "is longer than 64 KiB").default(""),
  envVars: z.record(varName, varValue).refine((v) => Object.keys(v).length <= 64, "at most 64 variables").default({}),
  /** Secrets are write-only: new or changed values here, names to drop in `removeSecrets`. */
  secrets: z.record(varName, varValue.min(1, "is empty")).refine((v) => Object.keys(v).length <= 64, "at most 64 secrets").default({}),
  removeSecrets: z.array(varName).max(64).default([]),
  /** The agent's internet: off, the allowlist (preset + domains), or any public host. */
  internetPolicy: policy.default("off"),
  allowlistPreset: z.enum(["none", "common"]).default("none"),
  allowedDomains: z.array(allowedDomain).max(MAX_ALLOWED_DOMAINS, `at most ${MAX_ALLOWED_DOMAINS} domains`).default([]),
  /** "read": GET, HEAD and OPTIONS only — enforceable on plain HTTP; inside HTTPS the proxy sees only the host. */
  allowedMethods: z.enum(["all", "read"]).default("all"),
  /** The setup phase's own policy (default: on). */
  setupInternetPolicy: policy.default("on"),
  setupTimeoutSeconds: z.number().int().min(10).max(3600).default(1200),
  /** Who works this repository's tasks (a task may choose another); null: the server's default. */
  engine: z.enum(ENGINE_NAMES).nullable().default(null),
});
export type EnvironmentInput = z.infer<typeof environmentInput>;

/** What the settings page shows: everything but secret values (write-only once saved). */
export type EnvironmentView = {
  repoFullName: string;
  setupScript: string;
  maintenanceScript: string;
  envVars: Record<string, string>;
  secretNames: string[];
  internetPolicy: "off" | "allowlist" | "on";
  allowlistPreset: "none" | "common";
  allowedDomains: string[];
  allowedMethods: "all" | "read";
  setupInternetPolicy: "off" | "allowlist" | "on";
  setupTimeoutSeconds: number;
  /** The environment's engine (null: the server's default, `defaultEngine`). */
  engine: EngineName | null;
  defaultEngine: EngineName;
  /** The host names of the "common package registries" preset, to show what it allows. */
  commonRegistries: string[];
  /** Prepared environments kept on the runners' disks. */
  cache: { entries: number; bytes: number; newestAt: string | null };
  updatedAt: string | null;
};
