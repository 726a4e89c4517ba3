import "server-only";
import { z } from "zod";
import { getDb } from "@/db";
import { listBoardTasks, listOwnerRepos } from "@/db/queries/board";
import { AppError } from "@/lib/errors";
import { text } from "@/lib/text";
import { repoFullName } from "./schemas";

export const boardQuery = z.object({
  tab: z.enum(["current", "archive"]).default("current"),
  repo: repoFullName.optional(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]).optional(),
  q: text().trim().max(200).optional(),
  cursor: text().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export type BoardQuery = z.infer<typeof boardQuery>;

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
    const createdAt = new Date(iso);
    if (Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id ?? "")) throw new Error();
    return { createdAt, id };
  } catch {
    throw new AppError("bad_request", "cursor: not a cursor this server made", 400);
  }
}

const encodeCursor = (t: { createdAt: Date; id: string }) =>
  Buffer.from(`${t.createdAt.toISOString()}|${t.id}`).toString("base64url");

/** A page of the user's board plus the cursor of the next page. */
export async function listTasks({ userId, query }: { userId: string; query: BoardQuery }) {
  const db = await getDb();
  const { tasks, hasMore } = await listBoardTasks(db, {
    ownerId: userId,
    archived: query.tab === "archive",
    repo: query.repo,
    status: query.status,
    q: query.q || undefined,
    cursor: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: query.limit,
  });
  const last = tasks.at(-1);
  return {
    tasks: tasks.map((t) => ({
      ...t,
      unread: Boolean(t.finishedAt && (!t.lastViewedAt || t.lastViewedAt < t.finishedAt)),
    })),
    nextCursor: hasMore && last ? encodeCursor(last) : null,
  };
}

export async function listTaskRepos({ userId }: { userId: string }) {
  return listOwnerRepos(await getDb(), userId);
}
