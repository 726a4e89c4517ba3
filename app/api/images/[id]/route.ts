import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { jsonRoute } from "@/lib/http";
import { readImage } from "@/lib/images/images";

const params = z.object({ id: z.string().uuid("is not an image id") });

/** An attached image, for its owner: the exact bytes with their sniffed type, never rendered as anything else. */
export const GET = jsonRoute(async (_req, ctx: { params: Promise<{ id: string }> }) => {
  const user = await requireApiUser();
  const { id } = params.parse(await ctx.params);
  const image = await readImage({ userId: user.id, imageId: id });
  return new Response(new Uint8Array(image.data), {
    headers: { "content-type": image.mime, "cache-control": "private, max-age=86400", "x-content-type-options": "nosniff", "content-disposition": "inline" },
  });
});
