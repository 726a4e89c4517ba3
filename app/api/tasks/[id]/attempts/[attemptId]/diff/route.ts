import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { getAttemptDiff } from "@/lib/tasks/artifacts";

export const GET = apiRoute(operations.getAttemptDiff, async ({ user, params, query }) => {
  const { diff, fileName } = await getAttemptDiff({ userId: user.id, taskId: params.id, attemptId: params.attemptId });
  return new Response(diff, {
    headers: {
      "Content-Type": "text/x-diff; charset=utf-8",
      "Cache-Control": "no-store",
      ...(query.download === "1" ? { "Content-Disposition": `attachment; filename="${fileName}"` } : {}),
    },
  });
});
