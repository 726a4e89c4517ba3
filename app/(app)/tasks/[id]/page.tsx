import { notFound } from "next/navigation";
import { z } from "zod";
import { TaskOriginNote } from "@/components/github/task-origin";
import { TaskView } from "@/components/task/task-view";
import type { TaskDetailDTO } from "@/components/task/types";
import { getSessionUser, requirePageUser } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { getTaskOrigin } from "@/lib/github-hooks/origin";
import { getTaskDetail, getTaskTitle } from "@/lib/tasks/detail";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props) {
  const user = await getSessionUser();
  const { id } = await params;
  if (!user || !z.string().uuid().safeParse(id).success) return { title: "Task" };
  return { title: (await getTaskTitle({ userId: user.id, taskId: id })) ?? "Not found" };
}

export default async function TaskPage({ params }: Props) {
  const user = await requirePageUser();
  const { id } = await params;
  if (!z.string().uuid().safeParse(id).success) notFound();
  let detail;
  let origin;
  try {
    [detail, origin] = await Promise.all([getTaskDetail({ userId: user.id, taskId: id }), getTaskOrigin({ userId: user.id, taskId: id })]);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) notFound();
    throw err;
  }
  // Dates cross to the client as ISO strings, exactly as the JSON API returns them.
  return (
    <>
      {origin && <TaskOriginNote origin={origin} />}
      <TaskView initial={JSON.parse(JSON.stringify(detail)) as TaskDetailDTO} />
    </>
  );
}
