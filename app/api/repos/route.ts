import { z } from "zod";
import { requireApiUser } from "@/lib/auth/session";
import { listUserRepos, noInstallationsHint } from "@/lib/github/repos";
import { jsonRoute, parseQuery } from "@/lib/http";
import { text } from "@/lib/text";

const query = z.object({
  q: text().max(200).optional(),
  refresh: z.enum(["0", "1"]).optional(),
});

export const GET = jsonRoute(async (req) => {
  const user = await requireApiUser();
  const { q, refresh } = parseQuery(req, query);
  const { repos, cachedAt } = await listUserRepos({ userId: user.id, refresh: refresh === "1" });
  const needle = q?.trim().toLowerCase();
  const matching = needle ? repos.filter((r) => r.fullName.toLowerCase().includes(needle)) : repos;
  return Response.json({ repos: matching, total: repos.length, cachedAt, install: noInstallationsHint() ?? null });
});
