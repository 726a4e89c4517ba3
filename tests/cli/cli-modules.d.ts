// Types of the CLI's plain-JavaScript modules, for the tests that import them (the CLI itself has no build step).
declare module "@/cli/lib/config.mjs" {
  export function configDir(env?: Record<string, string | undefined>): string;
}
declare module "@/cli/lib/git.mjs" {
  export function repoFromRemote(remote: string): { host: string; fullName: string } | null;
  export function detectCheckout(
    cwd: string,
  ): Promise<{ root: string; remote: string | null; remoteUrl: string | null; repo: string | null; host: string | null; branch: string | null; warnings: string[] } | null>;
}
declare module "@/cli/lib/render.mjs" {
  export function stripAnsi(s: string): string;
  export class LogPrinter {
    constructor(opts: { out: NodeJS.WritableStream; attempts: { id: string; index: number }[]; attemptFilter?: string | null; env?: Record<string, string | undefined> });
    print(e: { attemptId: string; turn: number; type: string; payload: Record<string, unknown> }): void;
    end(): void;
  }
}
declare module "@/cli/lib/sse.mjs" {
  export class SseParser {
    retry: number | null;
    push(chunk: string): { id: string | null; event: string; data: string }[];
  }
}
