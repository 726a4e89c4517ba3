import { z } from "zod";

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Why a piece of text is refused, or null when it is fine. Refused: NUL (PostgreSQL cannot store it in text or
 * jsonb), the other C0 control characters except tab, line feed and carriage return (they only serve to hide or
 * garble text in logs and terminals), and UTF-16 surrogates without their pair (not encodable as UTF-8: they would
 * be stored as U+FFFD, silently changing the text).
 */
export function invalidTextReason(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0) return "contains a NUL byte (U+0000), which is not allowed in text";
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
      return `contains the control character ${hex(code)}, which is not allowed in text`;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `contains an unpaired UTF-16 surrogate (${hex(code)}), which is not valid text`;
    }
  }
  return null;
}

/**
 * A string of text a person typed: every schema field that reaches the database, a sandbox or a log starts here,
 * so invalid text is a 400 naming the field rather than a driver error.
 */
export function text() {
  return z.string().superRefine((value, ctx) => {
    const reason = invalidTextReason(value);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
  });
}

/** A value shown back to a person (e.g. the key of an invalid field): invalid characters spelled as escapes. */
export function printable(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const pairOk = code >= 0xd800 && code <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (pairOk) {
      out += value.slice(i, i + 2);
      i++;
    } else if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else {
      out += value[i];
    }
  }
  return out;
}

/**
 * Text the platform did not type itself (command output, the model's words) made storable: PostgreSQL refuses NUL
 * and unpaired surrogates in text and jsonb, so they become U+FFFD, the usual mark of an undecodable character.
 */
export function storableText(value: string): string {
  return value.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
