import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

const SHOTS = process.env.SHOTS_DIR ?? "reports/screenshots";

/** Serious and critical axe findings (WCAG 2.1 A/AA). */
export async function violations(page: Page) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

/** Light and dark screenshots under reports/screenshots, each theme checked with axe too; back to light after. */
export async function shootBothThemes(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    expect(await violations(page), theme).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/${name}-${theme}.png`, fullPage: opts.fullPage, animations: "disabled" });
  }
  await page.evaluate(() => (document.documentElement.dataset.theme = "light"));
}
