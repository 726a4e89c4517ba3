import "server-only";

export type {
  ExecRequest,
  ExecResult,
  OutputStream,
  Sandbox,
  SandboxAvailability,
  SandboxLimits,
  SandboxOptions,
} from "./types";
export { SANDBOX_WORKSPACE } from "./types";
export { SandboxError, SandboxUnavailableError, SandboxUsageError } from "./errors";
export { checkSandboxAvailable, createBwrapSandbox } from "./bwrap";
export { ensureSandboxUser, SANDBOX_HOST_USER } from "./host-user";
export { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_PROCESSES } from "./limits";
