import { expect, test } from "@playwright/test";
import { fire, openTask, pickWidgets, sameOrigin, signIn, taskRow } from "./support/session";


test("Code and Ask back to back: live board, diff, citations, archive", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "Make greet trim the name");
  await fire(page, "How does sum work?", "ask");
  // Both appear at once, newest first, without waiting for either to run.
  await expect(page.getByTestId("task-row").nth(0)).toContainText("How does sum work?");
  await expect(page.getByTestId("task-row").nth(1)).toContainText("Make greet trim the name");

  const code = taskRow(page, "Make greet trim the name").first();
  const ask = taskRow(page, "How does sum work?").first();
  await expect(code).toContainText("+1 −1", { timeout: 60_000 });
  await expect(ask).toContainText("Ready", { timeout: 60_000 });

  await openTask(code);
  await expect(page.getByRole("heading", { name: "Make greet trim the name" })).toBeVisible();
  const message = page.getByTestId("final-message");
  await expect(message).toContainText("Summary");
  await expect(page.getByText("Worked for")).toBeVisible();
  // The diff of src/greet.js, with its one changed line.
  await expect(page.getByRole("table", { name: "Changes in src/greet.js" })).toBeVisible();
  await expect(page.getByTestId("diff-line").filter({ hasText: "name.trim()" }).first()).toBeVisible();

  // A log citation opens the log at that chunk; a file citation opens the file lines.
  await message.getByRole("button", { name: /Open log chunk c2/ }).click();
  await expect(page.getByRole("log", { name: "Work log" })).toBeVisible();
  await expect(page.locator('[data-testid="log-line"][data-line-of="c2"][data-highlighted]').first()).toContainText("all tests passed");
  await message.getByRole("button", { name: /Open src\/greet\.js/ }).click();
  await expect(page.getByRole("table", { name: "Changes in src/greet.js" })).toBeVisible();

  // Archive: gone from the current list, found in the Archive tab.
  await page.getByRole("button", { name: "Archive", exact: true }).click();
  await expect(page.getByText("Archived", { exact: true })).toBeVisible();
  await page.getByRole("link", { name: "← Tasks" }).click();
  await expect(taskRow(page, "Make greet trim the name")).toHaveCount(0);
  await page.getByRole("tab", { name: "Archive" }).click();
  await expect(taskRow(page, "Make greet trim the name")).toHaveCount(1);

  // The Ask task answered with a file citation that opens the file's lines.
  await page.getByRole("tab", { name: "Tasks" }).click();
  await openTask(taskRow(page, "How does sum work?").first());
  await page.getByTestId("final-message").getByRole("button", { name: /Open src\/sum\.js/ }).click();
  await expect(page.getByTestId("file-peek")).toContainText("function sum(numbers)");
  await expect(page.getByRole("button", { name: "Create PR" })).toHaveCount(0);
});

test("the log streams live and survives a reload mid-run without gaps or repeats", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 2200 });
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "[scenario:slow] count to forty slowly");
  await openTask(taskRow(page, "count to forty slowly").first());
  await page.getByRole("tab", { name: "Logs" }).click();
  const log = page.getByRole("log", { name: "Work log" });
  await expect(log.getByText("step 3", { exact: true })).toBeVisible({ timeout: 60_000 });
  // Still running: more lines arrive without a reload.
  await expect(log.getByText("step 8", { exact: true })).toBeVisible();
  await page.reload();
  await page.getByRole("tab", { name: "Logs" }).click();
  await expect(log.getByText("step 40", { exact: true })).toBeVisible({ timeout: 60_000 });
  // Each line's text (the line-number gutter aside): every step once, in order.
  const texts = await log.locator('[data-testid="log-line"] > span:last-child').allTextContents();
  const steps = texts.filter((t) => /^step \d+$/.test(t));
  expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => `step ${i + 1}`));
});

test("Best-of-N: two attempts side by side, switch, and choose one", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await page.getByLabel("Attempts").selectOption("2");
  await fire(page, "Make greet trim the name, two ways");
  const row = taskRow(page, "Make greet trim the name, two ways").first();
  await expect(row).toContainText("2 attempts");
  await expect(row).toContainText("+1 −1", { timeout: 60_000 });
  await openTask(row);
  const tabs = page.getByRole("tablist", { name: "Attempts" });
  await expect(tabs.getByRole("tab")).toHaveCount(2);
  // The first attempt to succeed is chosen; switch to the other one and choose it instead.
  const chosen = tabs.getByRole("tab", { name: /chosen/ });
  await expect(chosen).toHaveCount(1);
  const other = (await chosen.textContent())?.includes("Attempt 1") ? 2 : 1;
  const otherTab = tabs.getByRole("tab", { name: new RegExp(`Attempt ${other}`) });
  await otherTab.click();
  await expect(otherTab).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("table", { name: "Changes in src/greet.js" })).toBeVisible();
  await page.getByRole("button", { name: "Use this attempt" }).click();
  await expect(tabs.getByRole("tab", { name: new RegExp(`Attempt ${other}.*chosen`) })).toBeVisible();
  await expect(tabs.getByRole("tab", { name: /chosen/ })).toHaveCount(1);
});

test("Stop ends a running task as stopped", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "[scenario:slow] a task to stop");
  await openTask(taskRow(page, "a task to stop").first());
  await page.getByRole("tab", { name: "Logs" }).click();
  await expect(page.getByRole("log", { name: "Work log" }).getByText("step 2", { exact: true })).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.locator("[data-status=cancelled]").first()).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0);
});

test("someone else's task is a 404 everywhere, including its event stream", async ({ page, browser }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "How does sum work? (private)", "ask");
  const row = taskRow(page, "How does sum work? (private)").first();
  await expect(row).toHaveAttribute("data-task-id", /[0-9a-f-]{36}/);
  const id = await row.getAttribute("data-task-id");

  const bob = await browser.newPage();
  await signIn(bob, "bob");
  for (const path of [`/api/tasks/${id}`, `/api/tasks/${id}/events`, `/api/tasks/${id}/attempts/${id}/diff`]) {
    const res = await bob.request.get(path);
    expect(res.status(), path).toBe(404);
  }
  expect((await bob.request.post(`/api/tasks/${id}/cancel`, { headers: sameOrigin })).status()).toBe(404);
  await bob.goto(`/tasks/${id}`);
  await expect(bob.getByRole("heading", { name: "Not found" })).toBeVisible();
  expect((await bob.request.get(`/api/tasks/not-a-uuid`)).status()).toBe(400);
  await bob.close();
});

test("the event stream API: strictly increasing ids, resume after Last-Event-ID", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "Make greet trim the name (stream API)");
  const row = taskRow(page, "Make greet trim the name (stream API)").first();
  await expect(row).toContainText("+1 −1", { timeout: 60_000 });
  const id = await row.getAttribute("data-task-id");
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");

  async function read(headers: Record<string, string>, count: number) {
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:3100/api/tasks/${id}/events`, { headers: { cookie, ...headers }, signal: controller.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const ids: number[] = [];
    while (ids.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      ids.splice(0, ids.length, ...[...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])));
    }
    controller.abort();
    return ids;
  }

  const all = await read({}, 10);
  for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1]);
  const resumed = await read({ "Last-Event-ID": String(all[4]) }, 5);
  expect(resumed.slice(0, 5)).toEqual(all.slice(5, 10));
  expect(resumed).not.toContain(all[4]);
});

test("bad input gets a clear JSON error and creates nothing", async ({ page }) => {
  await signIn(page, "alice");
  const post = (data: string) => page.request.post("/api/tasks", { data: Buffer.from(data), headers: { ...sameOrigin, "content-type": "application/json" } });
  const cases: [string, number, RegExp][] = [
    ["{not json", 400, /not valid JSON/],
    [JSON.stringify({ repo: "acme/widgets", branch: "main", mode: "code", prompt: "x", attempts: 5 }), 400, /attempts/],
    [JSON.stringify({ repo: "no-slash", branch: "main", mode: "code", prompt: "x" }), 400, /repo: must look like owner\/name/],
    [JSON.stringify({ repo: "acme/widgets", branch: "main", mode: "code", prompt: "   " }), 400, /prompt: is empty/],
    [JSON.stringify({ repo: "bobcorp/secret-plans", branch: "main", mode: "code", prompt: "x" }), 404, /not among the repositories/],
    [JSON.stringify({ repo: "acme/widgets", branch: "main", mode: "code", prompt: "x".repeat(300_000) }), 413, /too large/],
  ];
  for (const [body, status, message] of cases) {
    const res = await post(body);
    expect(res.status(), body.slice(0, 60)).toBe(status);
    const json = await res.json();
    expect(json.error.message).toMatch(message);
    expect(JSON.stringify(json)).not.toMatch(/at .*\.ts:\d+|stack/);
  }
  const list = await (await page.request.get("/api/tasks?q=x&tab=current")).json();
  expect(list.tasks.filter((t: { title: string }) => t.title === "x")).toEqual([]);
  expect((await page.request.get("/api/tasks?cursor=garbage")).status()).toBe(400);
  const env = (data: unknown, repo = "acme/widgets") => page.request.put(`/api/environments/${repo}`, { data, headers: sameOrigin });
  expect((await env({ envVars: { "1BAD": "x" } })).status()).toBe(400);
  expect((await env({ envVars: { PATH: "/evil" } })).status()).toBe(400);
  expect((await env({ internetPolicy: "sometimes" })).status()).toBe(400);
  expect((await env({}, "bobcorp/secret-plans")).status()).toBe(404);
  expect((await page.request.get("/api/tasks?status=exploded")).status()).toBe(400);
});

test("an environment: setup script with a secret, variables for the agent, secrets never shown again", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await page.getByRole("link", { name: "Environment" }).click();
  await expect(page.getByRole("heading", { name: /Environment · acme\/widgets/ })).toBeVisible();
  await page.getByLabel("Setup script").fill('echo "preparing with $DEPLOY_TOKEN"\necho "built in $APP_MODE" > built.txt');
  await page.getByLabel("Environment variables").fill("APP_MODE=e2e");
  await page.getByLabel("Secret name").fill("DEPLOY_TOKEN");
  await page.getByLabel("Secret value").fill("tok-9f8e7d6c");
  await page.getByRole("button", { name: "Add secret" }).click();
  await page.getByRole("button", { name: "Save environment" }).click();
  await expect(page.getByRole("status")).toContainText("Saved");
  await page.reload();
  await expect(page.getByRole("list", { name: "Saved secrets" })).toContainText("DEPLOY_TOKEN");
  await expect(page.getByLabel("Environment variables")).toHaveValue("APP_MODE=e2e");
  const api = await (await page.request.get("/api/environments/acme/widgets")).text();
  expect(api).not.toContain("tok-9f8e7d6c");

  await page.getByRole("link", { name: "← Tasks" }).click();
  await fire(page, "[scenario:env] show me your environment");
  await openTask(taskRow(page, "show me your environment").first());
  await page.getByRole("tab", { name: "Logs" }).click();
  const log = page.getByRole("log", { name: "Work log" });
  await expect(log.getByText("preparing with ***")).toBeVisible({ timeout: 60_000 });
  await expect(log.getByText("APP_MODE=e2e")).toBeVisible();
  await expect(log.getByText("built in e2e")).toBeVisible();
  await expect(log).not.toContainText("tok-9f8e7d6c");
  await expect(log).not.toContainText("DEPLOY_TOKEN=");

  // Leave the environment empty again for the other tests.
  await page.goto("/environments/acme/widgets");
  await page.getByLabel("Setup script").fill("");
  await page.getByLabel("Environment variables").fill("");
  await page.getByRole("button", { name: "Remove secret DEPLOY_TOKEN" }).click();
  await page.getByRole("button", { name: "Save environment" }).click();
  await expect(page.getByRole("status")).toContainText("Saved");
});
