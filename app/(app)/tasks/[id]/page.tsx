import { notFound } from "next/navigation";
import { z } from "zod";
import { TaskView } from "@/components/task/task-view";
import type { TaskDetailDTO } from "@/components/task/types";
import { requirePageUser } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { getTaskDetail } from "@/lib/tasks/detail";

export const metadata = { title: "Task" };

export default async function TaskPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePageUser();
  const { id } = await params;
  if (!z.string().uuid().safeParse(id).success) notFound();
  let detail;
  try {
    detail = await getTaskDetail({ userId: user.id, taskId: id });
  } catch (err) {
    if (err instanceof AppError && err.status === 404) notFound();
    throw err;
  }
  // Dates cross to the client as ISO strings, exactly as the JSON API returns them.
  return <TaskView initial={JSON.parse(JSON.stringify(detail)) as TaskDetailDTO} />;
}
