/**
 * A fake GitHub (github.com / GitHub Enterprise Server look-alike) for Patchbay's tests and offline demo.
 * The app reaches it only through configuration:
 *   GITHUB_URL=http://127.0.0.1:PORT            web, OAuth and git smart HTTP
 *   GITHUB_API_URL=http://127.0.0.1:PORT/api/v3 REST, GHES-style prefix
 *
 * GitHub surface: /login/oauth/authorize (HTML form, "Username" + "Authorize"), /login/oauth/access_token
 * (code and refresh_token grants); under /api/v3: /user, /user/emails, /user/installations[/:id/repositories],
 * /app, /app/installations[/:id[/access_tokens]] (App JWT), /repos/:o/:r[/installation|/branches[/:b]],
 * /orgs|users/:login/installation, /installation/repositories, DELETE /installation/token,
 * /repos/:o/:r/pulls[/:n] (POST, GET, PATCH), /repos/:o/:r/pulls/:n/files, /repos/:o/:r/compare/:base...:head,
 * /repos/:o/:r/pulls/:n/reviews (POST with inline comments, which must sit on lines of the diff; GET),
 * /repos/:o/:r/pulls/:n/comments, POST /repos/:o/:r/pulls/:n/requested_reviewers, /repos/:o/:r/issues/:n,
 * /repos/:o/:r/issues/:n/comments (GET, POST), /repos/:o/:r/issues/comments/:id/reactions (GET, POST),
 * /repos/:o/:r/collaborators/:login/permission; git clone/push at /:owner/:repo.git (Basic auth, token as
 * password). Every repo is visible only through its installation: its users' tokens and its installation tokens.
 *
 * Webhooks: with a URL configured (option `webhookUrl` or POST /_fake/webhooks), every new issue or pull request
 * comment sends an `issue_comment` delivery and every review request a `pull_request` (`review_requested`) one,
 * signed with the App's webhook secret (fixture app.webhookSecret) in X-Hub-Signature-256, as GitHub does.
 *
 * Test control API (not GitHub; never subject to faults):
 *   POST   /_fake/reset                          back to the fixture: repos re-created (same SHAs), PRs, faults and
 *                                                OAuth codes dropped. Issued tokens stay valid.
 *   POST   /_fake/faults                         {method?, path: regex on the pathname, status, body?, headers?,
 *                                                times? (default 1, -1 = until cleared)} → 201 {id, ...}.
 *                                                Matching requests (API, OAuth or git) get that answer instead.
 *   GET    /_fake/faults, DELETE /_fake/faults   list / clear
 *   POST   /_fake/tokens/expire                  {login?, installation_id?, refresh_tokens?: boolean} → {expired: n};
 *                                                no filter = every access token. Refresh tokens survive unless asked.
 *   GET    /_fake/state                          users, installations, repos, PRs, token counts, faults
 *   GET    /_fake/repos/:o/:r/refs               {branch: sha}, read from the bare repo
 *   GET    /_fake/repos/:o/:r/commits/:rev       {sha, parents, diff (against the first parent), author, message}
 *   POST   /_fake/repos/:o/:r/branches           {name, from (branch or sha; default: default branch)} create/move
 *   DELETE /_fake/repos/:o/:r/branches/:name     (name may contain "/")
 *   POST   /_fake/repos/:o/:r/commits             {branch, from?, files: {path: content | null}, message?, author?}
 *   POST   /_fake/webhooks                       {url?, secret?, events?} where deliveries go (url null: nowhere)
 *   GET    /_fake/webhooks/deliveries            every delivery: guid, event, action, status and answer
 *   POST   /_fake/webhooks/deliveries/:guid/redeliver   the same body under the same GUID (GitHub's Redeliver)
 *   POST   /_fake/webhooks/send                  {event, payload, signature?: valid|bad|none, guid?} any delivery
 *   POST   /_fake/repos/:o/:r/issues             {user, title, body?} an issue opened by a fixture user
 *   POST   /_fake/repos/:o/:r/pulls              {user, head, base?, title, body?} a pull request opened by a user
 *   POST   /_fake/repos/:o/:r/issues/:n/comments {user, body} a comment by a user → {comment, delivery}
 *   POST   /_fake/repos/:o/:r/pulls/:n/requested_reviewers {user, reviewers: [login]} → {deliveries}
 *   PUT    /_fake/repos/:o/:r/collaborators/:login {permission: admin|maintain|write|triage|read|none}
 *   GET    /_fake/repos/:o/:r/issues/:n/conversation   comments (with reactions) and reviews (with inline comments)
 */
import { createPublicKey, generateKeyPair } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { appRoutes } from "./rest-app";
import type { Ctx, Fake, Route } from "./context";
import { controlRoutes } from "./control";
import { socialControlRoutes } from "./control-social";
import { sendFault, takeFault } from "./faults";
import { DEFAULT_FIXTURE_PATH, loadFixture } from "./fixture";
import { handleGit, matchGitPath } from "./git-http";
import { createBareRepo } from "./git-repos";
import { decodeSegment, HttpError, sendJson } from "./http-util";
import { oauthRoutes } from "./oauth";
import { issueRoutes } from "./rest-issues";
import { pullRoutes } from "./rest-pulls";
import { repoRoutes } from "./rest-repos";
import { reviewRoutes } from "./rest-reviews";
import { userRoutes } from "./rest-user";
import { FakeState } from "./state";
import { webRoutes } from "./web";
import { WebhookSender } from "./webhooks";

export type FakeGitHubOptions = {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default e2e/fixtures/github.json. */
  fixturePath?: string;
  /** Where the bare repos go (as <owner>/<repo>.git). Default: a fresh temp dir, removed on close(). */
  dataDir?: string;
  /** Where the App's webhook deliveries go (also POST /_fake/webhooks). Default: nowhere. */
  webhookUrl?: string;
  /** Log each request and git's stderr to the console. Also FAKE_GITHUB_VERBOSE=1. */
  verbose?: boolean;
};

export type FakeGitHubApp = {
  appId: number;
  clientId: string;
  clientSecret: string;
  privateKeyPem: string;
  slug: string;
  /** What the fake signs webhook deliveries with: the app's GITHUB_WEBHOOK_SECRET. */
  webhookSecret: string;
};

export type FakeGitHub = {
  /** GITHUB_URL: web, OAuth and git. */
  url: string;
  /** GITHUB_API_URL: `${url}/api/v3`. */
  apiUrl: string;
  app: FakeGitHubApp;
  dataDir: string;
  /** Direct access for tests: users, repos, pulls, tokens, faults. */
  state: FakeState;
  /** The App's webhook deliveries (configuration and what was sent). */
  webhooks: WebhookSender;
  /** Same as POST /_fake/reset. */
  reset(): Promise<void>;
  close(): Promise<void>;
};

const API_PREFIX = "/api/v3";
const REPO_CONCURRENCY = 8;
const generateKeyPairAsync = promisify(generateKeyPair);

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(size, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  });
  await Promise.all(workers);
}

function matchRoute(routes: Route[], method: string, pathname: string): { route: Route; params: string[] } | null | "bad" {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const params: string[] = [];
    for (const raw of m.slice(1)) {
      const decoded = decodeSegment(raw ?? "");
      if (decoded === null) return "bad";
      params.push(decoded);
    }
    return { route, params };
  }
  return null;
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const verbose = opts.verbose ?? process.env.FAKE_GITHUB_VERBOSE === "1";
  const log = (line: string) => {
    if (verbose) console.log(`[fake-github] ${line}`);
  };
  const fixture = loadFixture(opts.fixturePath ?? DEFAULT_FIXTURE_PATH);
  const ownsDataDir = !opts.dataDir;
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : await mkdtemp(path.join(os.tmpdir(), "fake-github-"));
  const state = new FakeState(fixture, dataDir);

  // GitHub hands out PKCS#1 PEMs ("BEGIN RSA PRIVATE KEY"); so does the fake.
  const keysReady = generateKeyPairAsync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });

  let resetting: Promise<void> = Promise.resolve();
  const recreateRepos = () => {
    const run = resetting.then(() => inBatches([...state.repos.values()], REPO_CONCURRENCY, (r) => createBareRepo(dataDir, r.spec)));
    resetting = run.catch(() => undefined);
    return run;
  };

  // Key generation (a few hundred ms) runs in libuv's pool while git builds the repos.
  const [keys] = await Promise.all([keysReady, recreateRepos()]);
  const fake: Fake = {
    state,
    webUrl: "",
    apiUrl: "",
    appPublicKey: createPublicKey(keys.publicKey),
    webhooks: new WebhookSender(fixture.app.webhookSecret, opts.webhookUrl ?? null),
    recreateRepos,
  };

  const apiRoutes = [...userRoutes, ...appRoutes, ...repoRoutes, ...pullRoutes, ...reviewRoutes, ...issueRoutes];
  const allControlRoutes = [...controlRoutes, ...socialControlRoutes];
  const webSideRoutes = [...oauthRoutes, ...webRoutes];

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    let url: URL;
    try {
      if (!req.url?.startsWith("/")) throw new Error("bad url");
      url = new URL(`http://fake${req.url}`);
    } catch {
      throw new HttpError(400, "Bad request");
    }
    const pathname = url.pathname;
    log(`${method} ${req.url}`);

    if (pathname.startsWith("/_fake/")) {
      const hit = matchRoute(allControlRoutes, method, pathname);
      if (hit === "bad") throw new HttpError(400, "Bad request");
      if (!hit) throw new HttpError(404, "Not Found");
      await hit.route.handler({ req, res, url, params: hit.params, fake });
      return;
    }

    const fault = takeFault(state.faults, method, pathname);
    if (fault) {
      log(`fault ${fault.id} → ${fault.status}`);
      req.resume();
      sendFault(res, fault);
      return;
    }

    const git = matchGitPath(pathname);
    if (git) {
      handleGit(fake, req, res, url, git, log);
      return;
    }

    let routes = webSideRoutes;
    let routePath = pathname;
    if (pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`)) {
      routes = apiRoutes;
      routePath = pathname.slice(API_PREFIX.length).replace(/\/$/, "") || "/";
    }
    const hit = matchRoute(routes, method, routePath);
    if (hit === "bad") throw new HttpError(400, "Bad request");
    if (!hit) throw new HttpError(404, "Not Found", { documentation_url: "https://docs.github.com/rest" });
    const ctx: Ctx = { req, res, url, params: hit.params, fake };
    await hit.route.handler(ctx);
  }

  const server = createServer((req, res) => {
    dispatch(req, res).catch((err: unknown) => {
      req.resume();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { message: err.message, ...err.extra }, err.headers);
        return;
      }
      console.error("[fake-github] internal error:", err);
      sendJson(res, 500, { message: "Server Error" });
    });
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  fake.webUrl = `http://${urlHost}:${port}`;
  fake.apiUrl = `${fake.webUrl}${API_PREFIX}`;

  return {
    url: fake.webUrl,
    apiUrl: fake.apiUrl,
    app: {
      appId: fixture.app.id,
      clientId: fixture.app.clientId,
      clientSecret: fixture.app.clientSecret,
      privateKeyPem: keys.privateKey,
      slug: fixture.app.slug,
      webhookSecret: fixture.app.webhookSecret,
    },
    dataDir,
    state,
    webhooks: fake.webhooks,
    async reset() {
      state.load();
      fake.webhooks.deliveries = [];
      await recreateRepos();
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await resetting;
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
