import "server-only";

export class SandboxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SandboxError";
  }
}

/** The sandbox tool is missing or cannot create namespaces here. Never fall back to running unsandboxed. */
export class SandboxUnavailableError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SandboxUnavailableError";
  }
}

/** Bad options or request (e.g. a cwd escaping the workspace). */
export class SandboxUsageError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SandboxUsageError";
  }
}
