import { createPublicKey, verify, type KeyObject } from "node:crypto";

export type JwtResult = { ok: true } | { ok: false; message: string };

/** How far ahead GitHub accepts `exp` (10 minutes), plus the clock drift it tolerates. */
const MAX_LIFETIME_S = 600;
const DRIFT_S = 60;

function b64urlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** Verifies a GitHub App JWT: RS256 signature by the App's key, iss = app id, a short future exp. */
export function verifyAppJwt(token: string, publicKey: KeyObject | string, appId: number, nowMs = Date.now()): JwtResult {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, message: "A JSON web token could not be decoded" };
  let header: unknown;
  let payload: unknown;
  try {
    header = b64urlJson(parts[0]);
    payload = b64urlJson(parts[1]);
  } catch {
    return { ok: false, message: "A JSON web token could not be decoded" };
  }
  if (!isObject(header) || header.alg !== "RS256") return { ok: false, message: "A JSON web token could not be decoded" };
  const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  let signed = false;
  try {
    signed = verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], "base64url"));
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, message: "A JSON web token could not be decoded" };
  if (!isObject(payload)) return { ok: false, message: "A JSON web token could not be decoded" };

  const now = Math.floor(nowMs / 1000);
  const { iss, exp, iat } = payload;
  if (String(iss) !== String(appId)) return { ok: false, message: "'Issuer' claim ('iss') must be an Integer" };
  if (typeof exp !== "number") return { ok: false, message: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires" };
  if (exp <= now) return { ok: false, message: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires" };
  if (exp > now + MAX_LIFETIME_S + DRIFT_S) return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future" };
  if (typeof iat === "number" && iat > now + DRIFT_S) return { ok: false, message: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued" };
  return { ok: true };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
