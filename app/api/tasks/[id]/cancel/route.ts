import { operations } from "@/lib/api/operations";
import { apiRoute } from "@/lib/api/route";
import { cancelTask } from "@/lib/tasks/cancel";

export const POST = apiRoute(operations.cancelTask, async ({ user, params }) => Response.json(await cancelTask({ userId: user.id, taskId: params.id })));
