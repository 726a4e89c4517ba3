import "server-only";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../client";
import { steerMessages } from "../schema";

export async function insertSteerMessage(db: Db, row: { taskId: string; attemptId: string; turn: number; text: string }) {
  const [saved] = await db.insert(steerMessages).values(row).returning();
  return saved;
}

/** The attempt's messages not yet delivered, oldest first, marked delivered in the same statement. */
export async function takeSteerMessages(db: Db, attemptId: string): Promise<string[]> {
  const rows = await db
    .update(steerMessages)
    .set({ deliveredAt: new Date() })
    .where(and(eq(steerMessages.attemptId, attemptId), isNull(steerMessages.deliveredAt)))
    .returning({ text: steerMessages.text, createdAt: steerMessages.createdAt });
  return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((r) => r.text);
}

/** Which of these attempts have messages not yet delivered. */
export async function steerPendingAmong(db: Db, attemptIds: string[]): Promise<Set<string>> {
  if (attemptIds.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ id: steerMessages.attemptId })
    .from(steerMessages)
    .where(and(inArray(steerMessages.attemptId, attemptIds), isNull(steerMessages.deliveredAt)));
  return new Set(rows.map((r) => r.id));
}

export async function pendingSteerMessages(db: Db, attemptId: string) {
  return db
    .select()
    .from(steerMessages)
    .where(and(eq(steerMessages.attemptId, attemptId), isNull(steerMessages.deliveredAt)))
    .orderBy(asc(steerMessages.createdAt));
}
