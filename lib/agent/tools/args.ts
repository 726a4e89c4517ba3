import "server-only";

import type { ToolCall } from "../model/types";

/** Bad tool input: reported to the model as an error result, never thrown out of the loop. */
export class ToolInputError extends Error {}

export function parseArgs(call: ToolCall): Record<string, unknown> {
  let args: unknown;
  try {
    args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch (err) {
    throw new ToolInputError(`the arguments are not valid JSON (${(err as Error).message}); send a JSON object`);
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) throw new ToolInputError("the arguments must be a JSON object");
  return args as Record<string, unknown>;
}

/** Maps the model's workdir to a workspace-relative directory. */
export function normalizeWorkdir(workdir: unknown): string | undefined {
  if (workdir === undefined || workdir === null || workdir === "") return undefined;
  if (typeof workdir !== "string") throw new ToolInputError("workdir must be a string");
  let p = workdir.trim().replace(/\/+$/, "");
  if (p === "/workspace" || p === "." || p === "") return undefined;
  if (p.startsWith("/workspace/")) p = p.slice("/workspace/".length);
  if (p.startsWith("/")) throw new ToolInputError(`workdir ${JSON.stringify(workdir)} is outside the workspace (/workspace)`);
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw new ToolInputError(`workdir ${JSON.stringify(workdir)} escapes the workspace`);
  return parts.length ? parts.join("/") : undefined;
}

/** The directory a `cd <dir> &&` in a command leads to, from the command's workdir. */
export function joinWorkdir(workdir: string | undefined, cd: string | undefined): string | undefined {
  if (cd === undefined) return workdir;
  if (cd.startsWith("/")) return normalizeWorkdir(cd);
  const parts = (workdir ? workdir.split("/") : []).slice();
  for (const s of cd.split("/")) {
    if (s === "" || s === ".") continue;
    if (s !== "..") parts.push(s);
    else if (parts.length === 0) throw new ToolInputError(`cd ${JSON.stringify(cd)} leaves the workspace`);
    else parts.pop();
  }
  return parts.length ? parts.join("/") : undefined;
}

export function parseArgv(command: unknown): string[] {
  if (typeof command === "string" && command.trim()) return ["bash", "-lc", command];
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === "string")) {
    throw new ToolInputError('command must be a non-empty array of strings (argv), e.g. ["ls","-la"]');
  }
  return command as string[];
}

/** An optional positive number argument, clamped to [min, max]. */
export function optionalNumber(args: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const v = args[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ToolInputError(`${name} must be a non-negative number`);
  return Math.min(max, Math.max(min, Math.floor(v)));
}
