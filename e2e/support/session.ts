import { expect, type Locator, type Page } from "@playwright/test";

export const APP = "http://127.0.0.1:3100";
export const FAKE_GITHUB = "http://127.0.0.1:3101";

/**
 * What a browser adds to a request of the app's own pages. Playwright's API requests send no Origin, and the app
 * refuses state changes that do not say they come from its own origin.
 */
export const sameOrigin = { origin: APP };

/** Signs in through the app's GitHub button and the fake GitHub's authorize page. */
export async function signIn(page: Page, login: string) {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByRole("button", { name: "Sign in with GitHub" }).click();
  await page.getByLabel("Username").fill(login);
  await page.getByRole("button", { name: "Authorize" }).click();
  await expect(page.getByRole("heading", { name: "What should we code next?" })).toBeVisible();
}

export async function fakeGitHub(path: string, body?: unknown, method = "POST") {
  const res = await fetch(`${FAKE_GITHUB}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fake GitHub ${path}: ${res.status}`);
  return res.json().catch(() => null);
}

/** Picks acme/widgets (the sample repository) in the composer. */
export async function pickWidgets(page: Page) {
  // A click that lands before the composer is hydrated (or while it restores the remembered repository) opens
  // nothing, as for a person who then clicks again: so does this (it failed a CI run that way once).
  const search = page.getByLabel("Search repositories");
  await expect(async () => {
    if (!(await search.isVisible())) await page.getByRole("button", { name: /Choose a repository|Repository:/ }).click();
    await expect(search).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await search.fill("acme/widgets");
  await page.getByRole("listbox", { name: "Repositories" }).getByRole("option", { name: "acme/widgets" }).click();
  await expect(page.getByRole("button", { name: "Repository: acme/widgets" })).toBeVisible();
}

/** Types a prompt and submits it as Code (Ctrl+Enter) or Ask. */
export async function fire(page: Page, prompt: string, mode: "code" | "ask" = "code") {
  const box = page.getByLabel("Describe a task");
  await box.fill(prompt);
  if (mode === "code") await box.press("Control+Enter");
  else await page.getByRole("button", { name: /^Ask/ }).click();
}

export function taskRow(page: Page, title: string | RegExp) {
  return page.getByTestId("task-row").filter({ has: page.getByRole("link", { name: title, exact: typeof title === "string" }) });
}

/** Opens a task from its board row, once the row is the created task (not the optimistic placeholder). */
export async function openTask(row: Locator) {
  await expect(row).toHaveAttribute("data-task-id", /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  await row.getByRole("link").click();
  await expect(row.page()).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/);
}
