import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute, parseJson } from "@/lib/http";
import { MAX_UPLOAD_JSON_BYTES, uploadImage } from "@/lib/images/images";

const body = z.object({ data: z.string().min(1, "is empty").regex(/^[A-Za-z0-9+/=\s]+$/, "is not base64") });

/** Uploads an image for a prompt or follow-up (base64 JSON); attach it by id when creating the task. */
export const POST = jsonRoute(async (req) => {
  const user = await requireApiUser();
  const { data } = await parseJson(req, body, { maxBytes: MAX_UPLOAD_JSON_BYTES });
  return Response.json(await uploadImage({ userId: user.id, data }), { status: 201 });
});
