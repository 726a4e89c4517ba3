import "server-only";

import { StringDecoder } from "node:string_decoder";

/**
 * Keeps the first `maxBytes` bytes of a stream as UTF-8 text and counts (then drops) the rest, so that a command
 * printing gigabytes neither blocks on a full pipe nor grows the server's memory.
 */
export class CappedOutput {
  private readonly decoder = new StringDecoder("utf8");
  private readonly parts: string[] = [];
  private kept = 0;
  totalBytes = 0;
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onText?: (text: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    if (this.truncated) return;
    let slice = chunk;
    const room = this.maxBytes - this.kept;
    if (chunk.length > room) {
      slice = chunk.subarray(0, room);
      this.truncated = true;
    }
    this.kept += slice.length;
    // The decoder holds back an incomplete trailing character; after truncation it is simply never completed.
    this.emit(this.decoder.write(slice));
  }

  end(): string {
    if (!this.truncated) this.emit(this.decoder.end());
    return this.parts.join("");
  }

  private emit(text: string): void {
    if (text === "") return;
    this.parts.push(text);
    this.onText?.(text);
  }
}
