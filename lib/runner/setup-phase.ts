import "server-only";
import type { EnvironmentRow } from "@/db/queries/environments";
import { readSecrets } from "@/lib/environments/environments";
import type { AttemptEventWriter } from "@/lib/events/writer";
import { createBwrapSandbox, type SandboxOptions } from "@/lib/sandbox";
import { SANDBOX_GIT_ENV } from "./sandbox-git";
import { RESTORE_REF } from "./workspace";

export class PhaseFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Replaces every secret value in text that is about to be logged. */
export function redactValues(text: string, secrets: string[]): string {
  let out = text;
  for (const value of secrets) if (value.length >= 4) out = out.split(value).join("***");
  return out;
}

/**
 * The environment's setup script, in its own sandbox: the checkout writable (dependencies land in it), the
 * internet through the egress proxy (package registries), the variables and the secrets in its environment. The script reaches bash on
 * stdin (read whole before it runs, so its commands see an empty stdin), never on a command line. Its shell ends
 * with it: an `export` does not reach the agent, and neither do the secrets. Output is logged with secret values
 * masked.
 */
export async function runSetupScript(opts: {
  environment: EnvironmentRow;
  sandboxBase: Omit<SandboxOptions, "mode" | "network" | "env">;
  /** The setup phase's way out: the egress proxy (any public host), never the host's network. */
  network: { network: "off" } | { network: "proxy"; proxySocket: string };
  events: AttemptEventWriter;
  signal: AbortSignal;
  /** The maintenance script instead of setup (a cached environment reused on a newer commit). */
  which?: "setup" | "maintenance";
}) {
  const { environment, events } = opts;
  const which = opts.which ?? "setup";
  const script = which === "setup" ? environment.setupScript : environment.maintenanceScript;
  const secrets = readSecrets(environment);
  const secretValues = Object.values(secrets).sort((a, b) => b.length - a.length);
  const box = await createBwrapSandbox({
    ...opts.sandboxBase,
    mode: "rw",
    ...(opts.network.network === "proxy" ? { network: "proxy", proxySocket: opts.network.proxySocket } : { network: "off" }),
    env: { ...environment.envVars, ...secrets },
  });
  const chunkId = `${which}-script`;
  const name = `${which}.sh`;
  const label = which === "setup" ? "setup script" : "maintenance script";
  try {
    await events.append("command", { phase: "start", commandId: chunkId, chunkId, argv: ["bash", name], cwd: "." });
    const result = await box.exec({
      // --norc: stdin is a socket, and bash would read ~/.bashrc for it (rsh detection).
      argv: ["bash", "--norc", "--noprofile", "-e", "-c", 'eval "$(cat)"', name],
      stdin: script,
      timeoutMs: environment.setupTimeoutSeconds * 1000,
      signal: opts.signal,
      onOutput: (stream, text) =>
        void events.append("log", { commandId: chunkId, chunkId, stream, text: redactValues(text, secretValues) }, { coalesce: true }),
    });
    await events.append("command", {
      phase: "end",
      commandId: chunkId,
      chunkId,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      truncated: result.truncated,
    });
    if (result.cancelled) throw new PhaseFailure("cancelled", `Stopped during the ${label}.`);
    if (result.timedOut) {
      throw new PhaseFailure(`${which}_timed_out`, `The ${label} ran longer than ${environment.setupTimeoutSeconds} seconds.`);
    }
    if (result.oomKilled) throw new PhaseFailure("memory_limit", `The ${label} was killed: the attempt reached its memory limit.`);
    if (result.exitCode !== 0) {
      throw new PhaseFailure(`${which}_failed`, `The ${label} failed (exit ${result.exitCode}). See its output in the log.`);
    }
  } finally {
    await box.destroy().catch(() => undefined);
  }
}

/**
 * A follow-up turn starts from a fresh checkout of the base commit (after setup): this puts the previous turn's
 * snapshot back, inside a sandbox (the snapshot is the agent's content). The git dir's own index keeps the base,
 * so `git diff` in the sandbox still shows every change of the task.
 */
export async function restoreSnapshot(opts: { sandboxBase: Omit<SandboxOptions, "mode" | "network" | "env">; signal: AbortSignal }) {
  const box = await createBwrapSandbox({ ...opts.sandboxBase, mode: "rw", network: "off", env: SANDBOX_GIT_ENV });
  try {
    const script = [
      "set -eu",
      "cp /workspace-git/index /tmp/patchbay-restore.index",
      "export GIT_DIR=/workspace-git GIT_WORK_TREE=/workspace GIT_INDEX_FILE=/tmp/patchbay-restore.index",
      "cd /workspace",
      `git read-tree -u --reset ${RESTORE_REF}`,
    ].join("\n");
    const result = await box.exec({ argv: ["/bin/sh", "-c", script], timeoutMs: 5 * 60_000, signal: opts.signal });
    if (result.cancelled) throw new PhaseFailure("cancelled", "Stopped.");
    if (result.exitCode !== 0) {
      throw new PhaseFailure("restore_failed", `Patchbay could not put the previous turn's changes back: ${result.stderr.trim().slice(0, 300)}`);
    }
  } finally {
    await box.destroy().catch(() => undefined);
  }
}

/**
 * The maintenance path of a cached environment: the entry was prepared at `from`; this checks the checkout out at
 * `to` on top of it (a two-way merge: setup's files stay, the files the commits changed move), inside a sandbox.
 * False when that cannot be done cleanly (setup changed a file the commits also changed): the caller runs setup.
 */
export async function moveToCommit(opts: { sandboxBase: Omit<SandboxOptions, "mode" | "network" | "env">; from: string; to: string; signal: AbortSignal }): Promise<boolean> {
  const box = await createBwrapSandbox({ ...opts.sandboxBase, mode: "rw", network: "off", env: SANDBOX_GIT_ENV });
  try {
    const script = [
      "set -eu",
      "cp /workspace-git/index /tmp/patchbay-move.index",
      "export GIT_DIR=/workspace-git GIT_WORK_TREE=/workspace GIT_INDEX_FILE=/tmp/patchbay-move.index",
      "cd /workspace",
      'git read-tree -m -u "$1" "$2"',
    ].join("\n");
    const result = await box.exec({ argv: ["/bin/sh", "-c", script, "move", opts.from, opts.to], timeoutMs: 5 * 60_000, signal: opts.signal });
    if (result.cancelled) throw new PhaseFailure("cancelled", "Stopped.");
    return result.exitCode === 0;
  } finally {
    await box.destroy().catch(() => undefined);
  }
}
