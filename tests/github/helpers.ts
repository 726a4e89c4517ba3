import http from "node:http";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import * as webhookRoute from "@/app/api/github/webhook/route";
import { proxy } from "@/proxy";
import type { TestStack } from "../helpers/stack";

/**
 * The app's webhook route behind a plain HTTP server, with proxy.ts in front of it as Next.js runs it: the fake
 * GitHub delivers to it over HTTP exactly as GitHub would to a deployed Patchbay.
 */
export async function startWebhookServer() {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const gate = proxy(new NextRequest(url, { method: req.method, headers, body }));
    if (gate.status >= 400) {
      res.writeHead(gate.status, { "content-type": "application/json" }).end(await gate.text());
      return;
    }
    if (url.pathname !== "/api/github/webhook" || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    const response = await webhookRoute.POST(new Request(url, { method: "POST", headers, body }));
    res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hookUrl: `${url}/api/github/webhook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The fake GitHub's control API (what people do on GitHub, and what was said there). */
export async function gh(stack: TestStack, method: string, route: string, body?: unknown) {
  const res = await fetch(`${stack.github.url}/_fake/${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fake ${method} ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

export type Conversation = {
  comments: { id: number; user: string; body: string; reactions: { content: string; user: string }[] }[];
  reviews: { id: number; user: string; state: string; body: string | null; commitId: string; comments: { path: string; line: number; side: string; startLine: number | null; body: string }[] }[];
};

export const conversation = (stack: TestStack, number: number, repo = "acme/widgets"): Promise<Conversation> =>
  gh(stack, "GET", `repos/${repo}/issues/${number}/conversation`);
