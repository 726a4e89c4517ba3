import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { addFollowUp } from "@/lib/tasks/follow-up";

export const POST = apiRoute(operations.addFollowUp, async ({ user, params, body }) =>
  Response.json(
    await addFollowUp({ userId: user.id, taskId: params.id, prompt: body.prompt, images: body.images, attemptId: body.attemptId }),
    { status: 201 },
  ),
);
