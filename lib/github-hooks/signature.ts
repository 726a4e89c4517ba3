import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * GitHub signs every webhook delivery with the App's webhook secret: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256
 * of the raw body>`. The comparison is constant-time, over the raw bytes exactly as received (never a re-serialized
 * JSON), and anything but a well-formed sha256 signature is refused (the SHA-1 header is ignored).
 */
export function verifySignature(opts: { secret: string; body: Uint8Array | string; signature: string | null }): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(opts.signature?.trim() ?? "");
  if (!m || !opts.secret) return false;
  const expected = createHmac("sha256", opts.secret).update(opts.body).digest();
  const given = Buffer.from(m[1], "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sign(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
