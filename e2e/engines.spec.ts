import { expect, test, type Page } from "@playwright/test";
import { fire, openTask, pickWidgets, signIn, taskRow } from "./support/session";

/**
 * The engines, from the composer to the task page: the task is worked by the real Codex CLI or Claude Code binary
 * inside the sandbox (the fake model plays its scenario through Patchbay's model gateway), and the page shows the
 * same log, citations and diff as for the Patchbay agent.
 */

async function runWith(page: Page, engine: "codex" | "claude", label: string) {
  await signIn(page, "alice");
  await pickWidgets(page);
  const select = page.getByLabel("Engine", { exact: true });
  await expect(select).toHaveValue("patchbay");
  await select.selectOption(engine);
  const title = `Make greet trim the name with ${label}`;
  await fire(page, `${title} [scenario:${engine}-greet]`);
  const row = taskRow(page, title).first();
  await expect(row).toContainText("+1 −1", { timeout: 90_000 });
  await openTask(row);
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  await expect(page.getByTestId("task-engine")).toHaveText(label);

  // The diff the engine made, as for any task.
  await expect(page.getByRole("table", { name: "Changes in src/greet.js" })).toBeVisible();
  await expect(page.getByTestId("diff-line").filter({ hasText: "name.trim()" }).first()).toBeVisible();

  // Its final message cites the test run (c2) and the file; the citation opens the log at that command's output.
  const message = page.getByTestId("final-message");
  await expect(message).toContainText("Summary");
  await message.getByRole("button", { name: /Open log chunk c2/ }).click();
  const log = page.getByRole("log", { name: "Work log" });
  await expect(log).toBeVisible();
  await expect(page.locator('[data-testid="log-line"][data-line-of="c2"][data-highlighted]').first()).toContainText("all tests passed");
  // The commands the CLI ran, and every model call it made through the gateway.
  await expect(log.getByText("cat src/greet.js").first()).toBeVisible();
  await expect(log.getByText(/Model: \d+ calls · [\d,]+ tokens in/)).toBeVisible();
}

test("Codex CLI picked in the composer works the task: its log, citations and diff on the task page", async ({ page }) => {
  await runWith(page, "codex", "Codex CLI");
});

test("Claude Code picked in the composer works the task: its log, citations and diff on the task page", async ({ page }) => {
  await runWith(page, "claude", "Claude Code");
});

test("an environment's engine is the composer's default for its repository", async ({ page }) => {
  // acme/service-21: a repository no other spec uses, so its engine never reaches their tasks.
  await signIn(page, "alice");
  await page.goto("/environments/acme/service-21");
  const group = page.getByRole("group", { name: "Default engine" });
  await expect(group.getByRole("radio", { name: /Patchbay agent/ })).toBeChecked();
  await group.getByRole("radio", { name: /Claude Code/ }).check();
  await page.getByRole("button", { name: "Save environment" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("group", { name: "Default engine" }).getByRole("radio", { name: /Claude Code/ })).toBeChecked();

  await page.goto("/");
  await page.getByRole("button", { name: /Choose a repository|Repository:/ }).click();
  await page.getByLabel("Search repositories").fill("acme/service-21");
  await page.getByRole("listbox", { name: "Repositories" }).getByRole("option", { name: "acme/service-21" }).click();
  await expect(page.getByLabel("Engine", { exact: true })).toHaveValue("claude");
  await pickWidgets(page);
  await expect(page.getByLabel("Engine", { exact: true })).toHaveValue("patchbay");
});
