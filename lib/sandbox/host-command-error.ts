import "server-only";

/** The outcome of a host command, and its error (apart from ./host-command so that ./spawner can use them too). */

export type HostCommandResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** stdout or stderr passed maxBuffer: the group was killed. */
  overflow: boolean;
};

export class HostCommandError extends Error {
  constructor(
    message: string,
    readonly result: HostCommandResult | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HostCommandError";
  }
}
