import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { fire, openTask, pickWidgets, signIn, taskRow } from "./support/session";

/** Serious and critical axe findings (WCAG 2.1 A/AA), with where they are, for a readable failure. */
async function violations(page: Page) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

for (const theme of ["light", "dark"] as const) {
  test(`no serious accessibility violations in the ${theme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme });
    await page.goto("/signin");
    expect(await violations(page)).toEqual([]);

    await signIn(page, "alice");
    await pickWidgets(page);
    await fire(page, `Make greet trim the name (${theme} a11y)`);
    const row = taskRow(page, `Make greet trim the name (${theme} a11y)`).first();
    await expect(row).toContainText("+1 −1", { timeout: 60_000 });
    expect(await violations(page)).toEqual([]);

    await openTask(row);
    await expect(page.getByTestId("final-message")).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await page.getByRole("tab", { name: "Logs" }).click();
    await expect(page.getByRole("log", { name: "Work log" })).toBeVisible();
    expect(await violations(page)).toEqual([]);
    // Tabs follow the arrow keys.
    await page.keyboard.press("ArrowLeft");
    await expect(page.getByRole("tab", { name: "Diff" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByRole("tab", { name: "Diff" })).toBeFocused();

    await page.goto("/environments/acme/widgets");
    await expect(page.getByLabel("Setup script")).toBeVisible();
    expect(await violations(page)).toEqual([]);

    // API tokens: the form, a new token shown once, the list, and a revocation's confirmation.
    await page.goto("/settings/tokens");
    await expect(page.getByLabel("Token name")).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await page.getByLabel("Token name").fill(`a11y ${theme}`);
    await page.getByRole("button", { name: "Create token" }).click();
    await expect(page.getByLabel("New token")).toBeFocused();
    expect(await violations(page)).toEqual([]);
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByRole("button", { name: `Revoke a11y ${theme}` }).click();
    await expect(page.getByRole("button", { name: "Revoke token" })).toBeFocused();
    expect(await violations(page)).toEqual([]);
    // Escape backs out and gives the focus back.
    await page.keyboard.press("Escape");
    await expect(page.getByRole("button", { name: `Revoke a11y ${theme}` })).toBeFocused();
  });
}
