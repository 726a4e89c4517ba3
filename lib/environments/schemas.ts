import { z } from "zod";
import { text } from "@/lib/text";

const varName = text()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "names are letters, digits and _, not starting with a digit")
  .refine((n) => !["PATH", "HOME", "PWD", "SHELL", "USER", "LANG", "TERM"].includes(n), "is set by the sandbox");
const varValue = text().max(8192, "values are at most 8 KiB");

export const environmentInput = z.object({
  setupScript: text().max(64 * 1024, "is longer than 64 KiB").default(""),
  envVars: z.record(varName, varValue).refine((v) => Object.keys(v).length <= 64, "at most 64 variables").default({}),
  /** Secrets are write-only: new or changed values here, names to drop in `removeSecrets`. */
  secrets: z.record(varName, varValue.min(1, "is empty")).refine((v) => Object.keys(v).length <= 64, "at most 64 secrets").default({}),
  removeSecrets: z.array(varName).max(64).default([]),
  internetPolicy: z.enum(["off", "on"]).default("off"),
  setupTimeoutSeconds: z.number().int().min(10).max(3600).default(1200),
});
export type EnvironmentInput = z.infer<typeof environmentInput>;

/** What the settings page shows: everything but secret values (write-only once saved). */
export type EnvironmentView = {
  repoFullName: string;
  setupScript: string;
  envVars: Record<string, string>;
  secretNames: string[];
  internetPolicy: "off" | "on";
  setupTimeoutSeconds: number;
  updatedAt: string | null;
};
