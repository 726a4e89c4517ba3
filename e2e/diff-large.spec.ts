import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { makeDiff } from "../bench/lib/diff-fixture";
import { APP, fire, openTask, pickWidgets, signIn, taskRow } from "./support/session";

// 400 files of 100 lines and a last one of 10,000: a 50,000-line diff.
const big = makeDiff({ files: 400, linesPerFile: 100, hugeFileLines: 10_000 });
const lastPath = big.paths.at(-1)!;

/** The task page's diff, answered with the big diff instead of the attempt's own (one changed line). */
async function serveBigDiff(page: Page) {
  await page.route(/\/api\/tasks\/[^/]+\/attempts\/[^/]+\/diff$/, (route) =>
    route.fulfill({ status: 200, contentType: "text/plain; charset=utf-8", body: big.text }),
  );
}

const elements = (page: Page) => page.evaluate(() => document.querySelectorAll("*").length);

test("a 50,000-line diff on the task page: bounded DOM, every file reachable, the last one opens", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  // The fake model's one-line change to greet; its own title, so that other specs' rows are not this one.
  await fire(page, "Make greet trim the name, under a big diff");
  const row = taskRow(page, "Make greet trim the name, under a big diff").first();
  await expect(row).toContainText("+1 −1", { timeout: 60_000 });
  await serveBigDiff(page);
  await openTask(row);

  const view = page.getByTestId("diff-view");
  await expect(view).toContainText(`${big.files} files changed`);
  await expect(page.locator("[data-diff-file]").first()).toBeVisible();
  // Only what is near the screen is in the page.
  expect(await page.locator("[data-diff-file]").count()).toBeLessThan(20);
  expect(await elements(page)).toBeLessThan(4_000);

  // A file's Copy button copies its part of the diff.
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: APP });
  const firstFile = page.locator(`[data-diff-file="${big.paths[0]}"]`);
  await firstFile.getByRole("button", { name: `Copy the changes to ${big.paths[0]}` }).click();
  await expect(firstFile.getByRole("button", { name: `Copied the changes to ${big.paths[0]}` })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied.startsWith(`diff --git a/${big.paths[0]} b/${big.paths[0]}\n`)).toBe(true);
  expect(copied).not.toContain(big.paths[1]);

  // What a person sees, in both themes (kept with the test's results).
  await page.screenshot({ path: test.info().outputPath("diff-large-light.png") });
  await page.evaluate(() => (document.documentElement.dataset.theme = "dark"));
  await page.screenshot({ path: test.info().outputPath("diff-large-dark.png") });
  // Into the first file's rows: its header stays on screen, under the app's bar.
  await page.mouse.move(900, 600);
  await page.mouse.wheel(0, 1_200);
  await expect(page.getByRole("table", { name: `Changes in ${big.paths[0]}` }).locator('[data-new-line="28"]')).toBeInViewport();
  await expect(firstFile.locator("header")).toBeInViewport();
  await page.screenshot({ path: test.info().outputPath("diff-large-dark-scrolled.png") });
  await page.evaluate(() => (document.documentElement.dataset.theme = "light"));

  // Scrolling the page through the first files keeps it bounded too.
  for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 3_000);
  await expect(page.locator("[data-diff-file]").first()).not.toHaveAttribute("data-diff-file", big.paths[0]);
  expect(await elements(page)).toBeLessThan(4_000);

  // The file list names every file; its last entry jumps to the last file, whose header takes the focus.
  const list = page.getByRole("navigation", { name: "Changed files" });
  await list.locator("ul").evaluate((ul) => ul.scrollTo({ top: ul.scrollHeight }));
  await list.getByRole("button", { name: new RegExp(lastPath) }).click();
  const last = page.locator(`[data-diff-file="${lastPath}"]`);
  await expect(last.getByRole("button", { name: `Expand ${lastPath}` })).toBeVisible();
  await expect(last.getByRole("button", { name: `Expand ${lastPath}` })).toBeFocused();
  // 10,000 lines in hunks of 54, a header row each.
  await expect(last).toContainText(`Large diff: ${(10_000 + Math.ceil(10_000 / 54)).toLocaleString("en-US")} lines.`);

  // Load it: its first rows show, with both line numbers; the page stays bounded with 10,000 lines open.
  await last.getByRole("button", { name: "Load diff" }).click();
  const table = page.getByRole("table", { name: `Changes in ${lastPath}` });
  await expect(table.getByTestId("diff-line").first()).toBeVisible();
  await expect(table.locator('[data-testid="diff-line"][data-old-line="1"][data-new-line="1"]')).toBeVisible();
  for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 5_000);
  await expect(table.locator('[data-testid="diff-line"][data-new-line="1"]')).toHaveCount(0);
  expect(await elements(page)).toBeLessThan(4_000);

  // Keyboard: the header's button collapses it again.
  const header = last.getByRole("button", { name: `Collapse ${lastPath}` });
  await header.focus();
  await page.keyboard.press("Enter");
  await expect(last.getByRole("button", { name: `Expand ${lastPath}` })).toHaveAttribute("aria-expanded", "false");
  await expect(last.getByRole("button", { name: `Expand ${lastPath}` })).toBeInViewport();

  // Back up to the file list from the header: the file's own entry has the focus; Enter jumps back down.
  await last.getByRole("button", { name: "Back to the changed files" }).click();
  const entry = list.getByRole("button", { name: new RegExp(lastPath) });
  await expect(entry).toBeFocused();
  await expect(list).toBeInViewport();
  await page.keyboard.press("Enter");
  await expect(last.getByRole("button", { name: `Expand ${lastPath}` })).toBeFocused();
  await expect(last.getByRole("button", { name: `Expand ${lastPath}` })).toBeInViewport();

  // No serious accessibility findings with the big diff shown, in either theme.
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious.map((v) => `${theme}: ${v.id}: ${v.nodes[0]?.target.join(" ")} ${JSON.stringify(v.nodes[0]?.any[0]?.data)}`)).toEqual([]);
  }
});
