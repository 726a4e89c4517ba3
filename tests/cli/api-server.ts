import http from "node:http";
import type { AddressInfo } from "node:net";
import * as diffRoute from "@/app/api/tasks/[id]/attempts/[attemptId]/diff/route";
import * as fileRoute from "@/app/api/tasks/[id]/attempts/[attemptId]/file/route";
import * as cancelRoute from "@/app/api/tasks/[id]/cancel/route";
import * as eventsRoute from "@/app/api/tasks/[id]/events/route";
import * as followUpsRoute from "@/app/api/tasks/[id]/follow-ups/route";
import * as prRoute from "@/app/api/tasks/[id]/pr/route";
import * as taskRoute from "@/app/api/tasks/[id]/route";
import * as reposRoute from "@/app/api/tasks/repos/route";
import * as tasksRoute from "@/app/api/tasks/route";
import * as tokenRoute from "@/app/api/token/route";

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

const ROUTES: { pattern: RegExp; keys: string[]; mod: Record<string, unknown> }[] = [
  { pattern: /^\/api\/tasks$/, keys: [], mod: tasksRoute },
  { pattern: /^\/api\/tasks\/repos$/, keys: [], mod: reposRoute },
  { pattern: /^\/api\/token$/, keys: [], mod: tokenRoute },
  { pattern: /^\/api\/tasks\/([^/]+)$/, keys: ["id"], mod: taskRoute },
  { pattern: /^\/api\/tasks\/([^/]+)\/cancel$/, keys: ["id"], mod: cancelRoute },
  { pattern: /^\/api\/tasks\/([^/]+)\/events$/, keys: ["id"], mod: eventsRoute },
  { pattern: /^\/api\/tasks\/([^/]+)\/follow-ups$/, keys: ["id"], mod: followUpsRoute },
  { pattern: /^\/api\/tasks\/([^/]+)\/pr$/, keys: ["id"], mod: prRoute },
  { pattern: /^\/api\/tasks\/([^/]+)\/attempts\/([^/]+)\/diff$/, keys: ["id", "attemptId"], mod: diffRoute },
  { pattern: /^\/api\/tasks\/([^/]+)\/attempts\/([^/]+)\/file$/, keys: ["id", "attemptId"], mod: fileRoute },
];

export type SeenRequest = { method: string; path: string; lastEventId: string | null; authorization: string | null };

/**
 * The app's real task route handlers behind a plain HTTP server (what Next.js does for them, minus the build), so
 * that the CLI can be run against the real API in a unit-test process. `dropEventStreamAfter` cuts the first live
 * event stream's connection after that many events, to prove the CLI resumes with Last-Event-ID.
 */
export async function startApiServer() {
  const seen: SeenRequest[] = [];
  const control = { dropEventStreamAfter: 0 };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    seen.push({
      method: req.method ?? "GET",
      path: url.pathname + url.search,
      lastEventId: (req.headers["last-event-id"] as string | undefined) ?? null,
      authorization: req.headers.authorization ?? null,
    });
    const route = ROUTES.find((r) => r.pattern.test(url.pathname));
    const handler = route?.mod[req.method ?? "GET"] as Handler | undefined;
    if (!route || !handler) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not_found", message: "No such API endpoint." } }));
      return;
    }
    const m = route.pattern.exec(url.pathname)!;
    const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const aborter = new AbortController();
    res.on("close", () => aborter.abort());
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const request = new Request(url, {
      method: req.method,
      headers,
      body: chunks.length && req.method !== "GET" ? Buffer.concat(chunks) : undefined,
      signal: aborter.signal,
    });
    const response = await handler(request, { params: Promise.resolve(params) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    const live = url.pathname.endsWith("/events") && url.searchParams.get("follow") !== "0";
    let drop = live ? control.dropEventStreamAfter : 0;
    if (drop) control.dropEventStreamAfter = 0;
    let events = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const written = new Promise<void>((r) => res.write(value, () => r()));
        if (drop) {
          events += (Buffer.from(value).toString("utf8").match(/^id: /gm) ?? []).length;
          if (events >= drop) {
            drop = 0;
            // Once the chunk is out: destroyed with it still buffered, the client would never see it.
            await written;
            res.socket?.destroy();
            break;
          }
        }
      }
    } catch {
      // the client went away
    } finally {
      await reader.cancel().catch(() => undefined);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    control,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
