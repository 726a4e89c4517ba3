import { expect, test } from "@playwright/test";
import { fakeGitHub, signIn } from "./support/session";

test.afterEach(async () => {
  await fakeGitHub("/_fake/faults", undefined, "DELETE");
});

test("signed-out visitors only see the sign-in page and get 401 from the API", async ({ page, request }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole("heading", { name: "Sign in to continue" })).toBeVisible();
  const api = await request.get("/api/repos");
  expect(api.status()).toBe(401);
  expect((await api.json()).error.code).toBe("unauthenticated");
});

test("alice signs in, sees exactly her repositories, filters, and picks a repo and a branch", async ({ page }) => {
  await signIn(page, "alice");
  await expect(page.getByTestId("user-name")).toHaveText("alice");

  await page.getByRole("button", { name: "Choose a repository" }).click();
  const list = page.getByRole("listbox", { name: "Repositories" });
  await expect(list.getByRole("option", { name: /acme\/widgets/ })).toBeVisible();
  // 34 repositories of the acme installation (two pages) and alice's own: all pages were read.
  await expect(list.getByRole("option")).toHaveCount(35);
  await expect(list.getByRole("option", { name: /alice\/dotfiles/ })).toBeVisible();
  await expect(list.getByRole("option", { name: /bobcorp/ })).toHaveCount(0);

  await page.getByLabel("Search repositories").fill("gadg");
  await expect(list.getByRole("option")).toHaveCount(1);
  await expect(list.getByRole("option")).toHaveText(/acme\/gadgets/);
  await page.getByLabel("Search repositories").fill("nothing-like-this");
  await expect(page.getByText("No repository matches")).toBeVisible();

  await page.getByLabel("Search repositories").fill("widgets");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Repository: acme/widgets" })).toBeVisible();

  const branch = page.getByLabel("Branch", { exact: true });
  await expect(branch).toHaveValue("main");
  await expect(branch.locator("option")).toHaveText(["main", "develop"]);
  await branch.selectOption("develop");
  await expect(branch).toHaveValue("develop");

  // Someone else's repository does not exist as far as alice is concerned.
  const foreign = await page.request.get("/api/repos/bobcorp/secret-plans/branches");
  expect(foreign.status()).toBe(404);
  const bad = await page.request.get("/api/repos/acme/wid%20gets/branches");
  expect(bad.status()).toBe(400);
});

test("bob never sees alice's repositories", async ({ page }) => {
  await signIn(page, "bob");
  await page.getByRole("button", { name: "Choose a repository" }).click();
  const list = page.getByRole("listbox", { name: "Repositories" });
  await expect(list.getByRole("option")).toHaveCount(1);
  await expect(list.getByRole("option")).toHaveText(/bobcorp\/secret-plans/);
  const res = await page.request.get("/api/repos?q=acme");
  expect((await res.json()).repos).toEqual([]);
});

test("a GitHub rate limit shows as a clear message, and retry recovers", async ({ page }) => {
  await signIn(page, "alice");
  await fakeGitHub("/_fake/faults", {
    method: "GET",
    path: "^/api/v3/user/installations$",
    status: 403,
    headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 120) },
    body: { message: "API rate limit exceeded" },
    times: 1,
  });
  const res = await page.request.get("/api/repos?refresh=1");
  expect(res.status()).toBe(429);
  const body = await res.json();
  expect(body.error.message).toMatch(/rate limit.*Try again in 2 minutes/);
  expect(JSON.stringify(body)).not.toMatch(/ghu_|ghs_|stack/);
  const again = await page.request.get("/api/repos?refresh=1");
  expect(again.status()).toBe(200);
});

test("signing out locks the pages again", async ({ page }) => {
  await signIn(page, "alice");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
  expect((await page.request.get("/api/repos")).status()).toBe(401);
});

test("without the App installed anywhere, the picker says so and links to installing it", async ({ page }) => {
  await signIn(page, "carol");
  await page.getByRole("button", { name: "Choose a repository" }).click();
  await expect(page.getByText("The GitHub App is not installed on any account you can reach.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Install the GitHub App" })).toHaveAttribute(
    "href",
    "http://127.0.0.1:3101/apps/patchbay-fake/installations/new",
  );
});

test("a revoked GitHub token is refreshed silently; when that fails too, the way out is signing in again", async ({ page }) => {
  await signIn(page, "alice");
  await fakeGitHub("/_fake/tokens/expire", { login: "alice" });
  const refreshed = await page.request.get("/api/repos?refresh=1");
  expect(refreshed.status()).toBe(200);
  expect((await refreshed.json()).total).toBe(35);

  await fakeGitHub("/_fake/tokens/expire", { login: "alice", refresh_tokens: true });
  await page.getByRole("button", { name: "Choose a repository" }).click();
  await page.getByRole("button", { name: "Refresh the repository list" }).click();
  const res = await page.request.get("/api/repos?refresh=1");
  expect(res.status()).toBe(401);
  const body = await res.json();
  expect(body.error).toMatchObject({ code: "github_auth", action: { label: "Sign in again", href: "/signin?reauth=1" } });
  expect(JSON.stringify(body)).not.toMatch(/ghu_|ghr_/);

  // Signing in again works and brings the repositories back.
  await page.goto("/signin?reauth=1");
  await page.getByRole("button", { name: "Sign in with GitHub" }).click();
  await page.getByLabel("Username").fill("alice");
  await page.getByRole("button", { name: "Authorize" }).click();
  await expect(page.getByRole("heading", { name: "What should we code next?" })).toBeVisible();
  expect((await page.request.get("/api/repos?refresh=1")).status()).toBe(200);
});
