import "server-only";
import { getDb } from "@/db";
import { usageOfOwner } from "@/db/queries/tasks";

/** A person's model usage: the last 30 days and all time (tokens, and cost where the model has a price). */
export async function getUsage({ userId }: { userId: string }) {
  const db = await getDb();
  const [month, allTime] = await Promise.all([usageOfOwner(db, userId, new Date(Date.now() - 30 * 86_400_000)), usageOfOwner(db, userId, null)]);
  return { last30Days: month, allTime };
}
