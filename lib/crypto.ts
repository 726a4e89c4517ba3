import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { getEnv, isEmbedded } from "@/lib/env";

/**
 * The app's secret signs sessions and derives the key that encrypts tokens and secrets at rest.
 * Servers must share NEXTAUTH_SECRET; a single embedded process may keep a generated one in its data folder.
 */
export function getAppSecret(): string {
  const env = getEnv();
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  if (!isEmbedded(env)) {
    throw new Error("NEXTAUTH_SECRET is required when DATABASE_URL is set (every instance must share it).");
  }
  const file = path.join(env.dataDir, "secret.key");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(env.dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString("base64url");
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
      return secret;
    } catch {
      return fs.readFileSync(file, "utf8").trim(); // another bundle of this process wrote it first
    }
  }
}

let key: Buffer | undefined;
function encryptionKey(): Buffer {
  key ??= crypto.createHash("sha256").update(`patchbay-at-rest:${getAppSecret()}`).digest();
  return key;
}

/** AES-256-GCM; the output is `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function encryptText(plain: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", encryptionKey(), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

export function decryptText(sealed: string): string {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("Unreadable encrypted value");
  const decipher = crypto.createDecipheriv("aes-256-gcm", encryptionKey(), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

/**
 * A keyed digest (HMAC-SHA256 with a key derived from the app's secret): names things after their contents (e.g.
 * a cache entry after the secrets it was made with) without letting the name be used to guess those contents.
 */
export function keyedDigest(parts: string[]): string {
  const mac = crypto.createHmac("sha256", crypto.createHash("sha256").update(`patchbay-digest:${getAppSecret()}`).digest());
  for (const part of parts) mac.update(`${part.length}:${part}`);
  return mac.digest("hex");
}
