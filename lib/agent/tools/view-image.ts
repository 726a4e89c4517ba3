import "server-only";

import { normalizePatchPath } from "../apply-patch/apply";
import { ToolInputError } from "./args";
import type { ToolContext, ToolOutcome } from "./context";

/** Images a model reads; anything else (SVG included: it is text, read it with a command) is refused. */
function imageType(buf: Buffer): string | null {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return "image/jpeg";
  if (buf.length >= 6 && /^GIF8[79]a$/.test(buf.subarray(0, 6).toString("latin1"))) return "image/gif";
  if (buf.length >= 12 && buf.subarray(0, 4).toString("latin1") === "RIFF" && buf.subarray(8, 12).toString("latin1") === "WEBP") return "image/webp";
  return null;
}

const MAX_IMAGE_BYTES = 8 * 1024 * 1024;

/** `view_image`: attaches a workspace image to the conversation, as the message after this step's tool results. */
export async function runViewImage(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  if (typeof args.path !== "string" || args.path.trim() === "") throw new ToolInputError("path must be the image's path in the workspace");
  if (!ctx.readImage || !ctx.attachImage) return { output: "error: view_image is not available in this task", ok: false };
  let rel: string;
  try {
    rel = normalizePatchPath(args.path);
  } catch (err) {
    throw new ToolInputError((err as Error).message);
  }
  let buf: Buffer | null;
  try {
    buf = await ctx.readImage(rel);
  } catch (err) {
    return { output: `error: cannot read ${rel}: ${(err as Error).message}`, ok: false };
  }
  if (buf === null) return { output: `error: ${rel} does not exist`, ok: false };
  if (buf.length > MAX_IMAGE_BYTES) return { output: `error: ${rel} is too large to view (${buf.length} bytes; at most ${MAX_IMAGE_BYTES})`, ok: false };
  const type = imageType(buf);
  if (!type) return { output: `error: ${rel} is not a PNG, JPEG, GIF or WebP image`, ok: false };
  ctx.attachImage(`data:${type};base64,${buf.toString("base64")}`);
  return { output: `Attached ${rel} (${type}, ${Math.ceil(buf.length / 1024)} KB); it follows as the next message.`, ok: true };
}
