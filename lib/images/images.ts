import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { getDb } from "@/db";
import type { Db } from "@/db";
import { images } from "@/db/schema";
import { AppError, notFound } from "@/lib/errors";

/** Images attached to prompts: PNG, JPEG or WebP, told apart by their first bytes (never by what the client says). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** Base64 JSON of the largest image, with room for the field names. */
export const MAX_UPLOAD_JSON_BYTES = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 1024;

export type ImageMime = "image/png" | "image/jpeg" | "image/webp";

export function sniffImage(bytes: Buffer): ImageMime | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 12 && bytes.toString("latin1", 0, 4) === "RIFF" && bytes.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return null;
}

/** Stores an image the person uploaded (not yet attached to a task). */
export async function uploadImage({ userId, data }: { userId: string; data: string }) {
  const bytes = Buffer.from(data, "base64");
  if (bytes.length === 0) throw new AppError("bad_image", "The image is empty.", 400);
  if (bytes.length > MAX_IMAGE_BYTES) throw new AppError("image_too_large", `Images are at most ${MAX_IMAGE_BYTES / 1024 / 1024} MiB.`, 413);
  const mime = sniffImage(bytes);
  if (!mime) throw new AppError("bad_image", "Only PNG, JPEG and WebP images can be attached.", 400);
  const db = await getDb();
  const [row] = await db.insert(images).values({ ownerId: userId, mime, sizeBytes: bytes.length, data: bytes }).returning({ id: images.id });
  return { id: row.id, mime, sizeBytes: bytes.length };
}

/** A turn's images as data: URLs, for the model. */
export async function turnImageUrls(db: Db, taskId: string): Promise<Map<number, string[]>> {
  const rows = await db
    .select({ turn: images.turn, mime: images.mime, data: images.data })
    .from(images)
    .where(eq(images.taskId, taskId))
    .orderBy(asc(images.turn), asc(images.position));
  const byTurn = new Map<number, string[]>();
  for (const r of rows) {
    if (r.turn === null) continue;
    byTurn.set(r.turn, [...(byTurn.get(r.turn) ?? []), `data:${r.mime};base64,${r.data.toString("base64")}`]);
  }
  return byTurn;
}

/** The ids of each turn's images, for the task page (the bytes come from readImage). */
export async function turnImageIds(db: Db, taskId: string): Promise<Record<number, string[]>> {
  const rows = await db.select({ id: images.id, turn: images.turn }).from(images).where(eq(images.taskId, taskId)).orderBy(asc(images.turn), asc(images.position));
  const out: Record<number, string[]> = {};
  for (const r of rows) if (r.turn !== null) (out[r.turn] ??= []).push(r.id);
  return out;
}

/** An image's bytes for its owner (someone else's is a 404). */
export async function readImage({ userId, imageId }: { userId: string; imageId: string }) {
  const db = await getDb();
  const [row] = await db.select().from(images).where(and(eq(images.id, imageId), eq(images.ownerId, userId))).limit(1);
  if (!row) throw notFound("No such image.");
  return { mime: row.mime, data: row.data };
}
