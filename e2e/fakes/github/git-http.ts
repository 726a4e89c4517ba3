import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { credentialFrom } from "./auth";
import type { Fake } from "./context";
import { gitEnv } from "./git-cli";
import { looksLikeJwt } from "./jwt";

/**
 * Git smart HTTP at /:owner/:repo(.git)/{info/refs,git-upload-pack,git-receive-pack}, served by
 * `git http-backend` as a CGI. Auth is HTTP Basic with a user or installation token as password.
 */

const GIT_PATH = /^\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

export function matchGitPath(pathname: string): { owner: string; name: string; rest: string } | null {
  const m = GIT_PATH.exec(pathname);
  return m ? { owner: m[1], name: m[2], rest: m[3] } : null;
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

const askForAuth = { "www-authenticate": 'Basic realm="GitHub"' };

export function handleGit(
  fake: Fake,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  target: { owner: string; name: string; rest: string },
  log: (line: string) => void,
): void {
  const method = req.method ?? "GET";
  const service = target.rest === "info/refs" ? url.searchParams.get("service") : target.rest;
  if (service !== "git-upload-pack" && service !== "git-receive-pack") {
    plain(res, 403, "Dumb HTTP is not supported; use a smart git client.\n");
    return;
  }
  if ((target.rest === "info/refs") !== (method === "GET") || (method !== "GET" && method !== "POST")) {
    plain(res, 405, "Method not allowed\n");
    return;
  }

  const secret = credentialFrom(req);
  if (!secret) {
    plain(res, 401, "Authentication required\n", askForAuth);
    return;
  }
  const principal = looksLikeJwt(secret) ? null : fake.state.principalForToken(secret);
  if (!principal) {
    plain(res, 401, "Invalid username or token. Password authentication is not supported for Git operations.\n", askForAuth);
    return;
  }
  const repo = fake.state.findRepo(target.owner, target.name);
  if (!repo || !fake.state.canRead(principal, repo)) {
    plain(res, 404, "Repository not found.\n");
    return;
  }
  if (service === "git-receive-pack" && !fake.state.canWrite(principal, repo, "contents")) {
    plain(res, 403, `Permission to ${repo.fullName}.git denied.\n`);
    return;
  }

  const env = gitEnv({
    GIT_PROJECT_ROOT: fake.state.dataDir,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/${repo.fullName}.git/${target.rest}`,
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REQUEST_METHOD: method,
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_USER: principal.kind === "user" ? principal.user.login : "x-access-token",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: "http.receivepack",
    GIT_CONFIG_VALUE_0: "true",
    GIT_CONFIG_KEY_1: "safe.directory",
    GIT_CONFIG_VALUE_1: "*",
  });
  // Without CONTENT_LENGTH, http-backend reads the (possibly chunked) body to EOF.
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  const protocol = req.headers["git-protocol"];
  if (typeof protocol === "string") env.HTTP_GIT_PROTOCOL = protocol;

  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let headerBuf = Buffer.alloc(0);
  let headersSent = false;

  child.stdin.on("error", () => {
    /* http-backend may stop reading early (e.g. on a bad request); its answer says why. */
  });
  req.pipe(child.stdin);
  child.stderr.on("data", (c: Buffer) => log(`git http-backend: ${c.toString("utf8").trimEnd()}`));
  child.on("error", (err) => {
    if (!res.headersSent) plain(res, 500, `git http-backend failed: ${err.message}\n`);
    else res.destroy();
  });
  res.on("close", () => {
    if (child.exitCode === null) child.kill();
  });

  child.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    headerBuf = Buffer.concat([headerBuf, chunk]);
    const crlf = headerBuf.indexOf("\r\n\r\n");
    const lf = headerBuf.indexOf("\n\n");
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of headerBuf.subarray(0, end).toString("latin1").split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === "status") status = Number.parseInt(value, 10) || 500;
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    const rest = headerBuf.subarray(end);
    if (rest.length) res.write(rest);
  });
  child.stdout.on("end", () => {
    if (!headersSent) {
      if (!res.headersSent) plain(res, 500, "git http-backend sent no response\n");
      return;
    }
    res.end();
  });
}
