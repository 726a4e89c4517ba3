import { expect, type Page } from "@playwright/test";

export const FAKE_GITHUB = "http://127.0.0.1:3101";

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
