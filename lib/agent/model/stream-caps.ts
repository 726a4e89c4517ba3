import "server-only";

/** A model stuck repeating itself would otherwise stream (and bill) until the server's own output limit. */
export const DEFAULT_MAX_TEXT_CHARS = 200_000;
/** Room for a large patch, not for a runaway one. */
export const DEFAULT_MAX_TOOL_ARGUMENT_CHARS = 1_000_000;

/**
 * Caps what one model call may stream: its text and each tool call's arguments. Past a cap the stream is stopped
 * (the request aborted, so the server stops generating); the client keeps what came before.
 */
export class StreamCaps {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal;
  stopped = false;
  textCut = false;
  private textChars = 0;
  private readonly cutCalls = new Set<string>();
  private readonly maxText: number;
  private readonly maxArgs: number;

  constructor(opts: { maxTextChars?: number; maxToolArgumentChars?: number }, outer?: AbortSignal) {
    this.maxText = opts.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
    this.maxArgs = opts.maxToolArgumentChars ?? DEFAULT_MAX_TOOL_ARGUMENT_CHARS;
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }

  /** The part of a text delta within the cap. */
  text(delta: string): string {
    if (this.stopped) return "";
    const room = this.maxText - this.textChars;
    if (delta.length <= room) {
      this.textChars += delta.length;
      return delta;
    }
    this.textCut = true;
    this.stop();
    this.textChars = this.maxText;
    return delta.slice(0, Math.max(0, room));
  }

  /** The arguments of `callId` with `delta` appended, or unchanged once they went past the cap. */
  argument(callId: string, current: string, delta: string): string {
    if (this.stopped) return current;
    if (current.length + delta.length <= this.maxArgs) return current + delta;
    this.cutCalls.add(callId);
    this.stop();
    return current;
  }

  isCut(callId: string): boolean {
    return this.cutCalls.has(callId);
  }

  cutText(text: string): string {
    return `${text}\n\n[… cut: the model's answer went past ${this.maxText} characters]`;
  }

  /** The error a cut-off tool call is answered with. */
  static argumentsCutMessage(name: string, max = DEFAULT_MAX_TOOL_ARGUMENT_CHARS): string {
    return `error: the arguments of this ${name} call went past ${max} characters and were cut off, so it was not run. Send smaller calls (for apply_patch, a few files per patch).`;
  }

  private stop(): void {
    this.stopped = true;
    this.controller.abort();
  }
}
