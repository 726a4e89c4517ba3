import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page, type Request } from "@playwright/test";
import { APP, pickWidgets, sameOrigin, signIn } from "./support/session";

// acme/service-07: a repository no other spec uses, so its setup script never reaches their tasks.
const REPO = "acme/service-07";
const PAGE = `/environments/${REPO}`;
const API = `/api/environments/${REPO}`;

async function violations(page: Page) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

/** Axe in both themes, switched with the header's toggle so that the open panel stays as it is. */
async function violationsInBothThemes(page: Page) {
  const found: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    const current = await page.evaluate(() => document.documentElement.dataset.theme);
    if (current !== theme) await page.getByRole("button", { name: `Switch to ${theme} theme` }).click();
    await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
    found.push(...(await violations(page)).map((v) => `${theme}: ${v}`));
  }
  return found;
}

let csp: () => Promise<string[]>;

test.beforeEach(async ({ page }) => {
  // CSP violations of every document the page loads: the DOM event and the console's report.
  const fromConsole: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) fromConsole.push(msg.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
  });
  csp = async () => [...fromConsole, ...(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? ["no listener"]))];
  await signIn(page, "alice");
  // Start from the defaults (no setup script) whatever an earlier run left.
  expect((await page.request.put(API, { data: {}, headers: sameOrigin })).status()).toBe(200);
});

const panel = (page: Page) => page.getByRole("region", { name: "Setup test" });
// The panel's live region (the log's spinners are statuses too, with no text).
const outcome = (page: Page) => panel(page).getByRole("status").filter({ hasText: /\S/ });
const setupLog = (page: Page) => panel(page).getByRole("log", { name: "Setup test log" });

test("Test setup streams the saved script's log live, then says it succeeded; a failing script says why", async ({ page }) => {
  expect((await page.request.post(`${API}/test-setup`, { headers: sameOrigin })).status()).toBe(409);
  await page.goto(PAGE);
  await expect(page.getByText("Save a setup script to test it.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Test setup" })).toBeDisabled();

  // An unsaved script is named as such, and saved before it is tested.
  await page.getByLabel("Setup script").fill('echo "preparing service-07"\nls\nsleep 3\necho "prepared service-07"');
  await expect(page.getByText("Not saved yet: Test setup runs the saved script.")).toBeVisible();
  await page.getByRole("button", { name: "Save and test" }).click();
  await expect(page.getByText("Saved. New tasks on this repository use it.")).toBeVisible();

  // The first lines arrive while the script still runs (it sleeps before its last line).
  await expect(setupLog(page)).toContainText("preparing service-07", { timeout: 60_000 });
  await expect(setupLog(page)).toContainText("README.md");
  await expect(panel(page)).toHaveAttribute("data-state", "running");
  await expect(panel(page).getByRole("button", { name: "Stop" })).toBeVisible();
  await expect(setupLog(page)).not.toContainText("prepared service-07");
  await expect(page.getByRole("button", { name: "Testing…" })).toHaveAttribute("aria-disabled", "true");

  await expect(outcome(page)).toHaveText("Setup succeeded", { timeout: 30_000 });
  await expect(setupLog(page)).toContainText("prepared service-07");
  await expect(setupLog(page)).toContainText("$ bash setup.sh");
  await expect(setupLog(page)).toContainText("The setup script finished successfully.");
  await expect(panel(page).getByTestId("setup-test-elapsed")).toHaveText(/^(Took )?\d+s$/);
  await expect(panel(page).getByRole("button", { name: "Stop" })).toHaveCount(0);
  expect(await violationsInBothThemes(page)).toEqual([]);

  // A failing script: the message says so, and the log keeps its output.
  await page.getByLabel("Setup script").fill('echo "about to fail"\nfalse');
  await page.getByRole("button", { name: "Save and test" }).click();
  await expect(outcome(page)).toContainText("Setup failed", { timeout: 60_000 });
  await expect(outcome(page)).toContainText("The setup script failed (exit 1). See its output in the log.");
  await expect(panel(page)).toHaveAttribute("data-state", "failed");
  await expect(setupLog(page)).toContainText("about to fail");
  await expect(setupLog(page).getByLabel("exit code 1")).toBeVisible();
  expect(await violationsInBothThemes(page)).toEqual([]);

  // The board never shows these runs.
  const board = (await (await page.request.get("/api/tasks?tab=current&limit=100")).json()) as { tasks: { title: string }[] };
  expect(board.tasks.map((t) => t.title).filter((t) => t.startsWith("Test setup of"))).toEqual([]);
  expect(await csp()).toEqual([]);
});

test("Stop ends a slow setup script, from the keyboard", async ({ page }) => {
  const env = { setupScript: 'echo "about to wait"\nsleep 30\necho "never printed"' };
  expect((await page.request.put(API, { data: env, headers: sameOrigin })).status()).toBe(200);
  await page.goto(PAGE);
  await expect(page.getByText("Runs the saved script in a fresh sandbox")).toBeVisible();
  await page.getByRole("button", { name: "Test setup" }).focus();
  await page.keyboard.press("Enter");
  await expect(setupLog(page)).toContainText("about to wait", { timeout: 60_000 });
  await expect(outcome(page)).toHaveText("Running the setup script…");
  // The focus stayed on the (now busy) button; Stop is next.
  const busy = page.getByRole("button", { name: "Testing…" });
  await expect(busy).toBeFocused();
  expect(await violationsInBothThemes(page)).toEqual([]);

  await busy.focus(); // the theme toggle took it
  await page.keyboard.press("Tab");
  await expect(panel(page).getByRole("button", { name: "Stop" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(outcome(page)).toHaveText("Stopped", { timeout: 15_000 });
  await expect(panel(page)).toHaveAttribute("data-state", "cancelled");
  await expect(setupLog(page)).not.toContainText("never printed");
  const took = Number((await panel(page).getByTestId("setup-test-elapsed").innerText()).replace(/\D/g, ""));
  expect(took).toBeLessThan(30);
  // Stop's place is taken by Close, and so is its focus; closing gives the focus back to Test setup.
  await expect(panel(page).getByRole("button", { name: "Close the setup test" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(panel(page)).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Test setup" })).toBeFocused();
  expect(await csp()).toEqual([]);
});

test("picking a repository or a branch in the composer warms it, once per repository and branch", async ({ page }) => {
  const warms: Request[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/warm")) warms.push(r);
  });
  const isWarm = (repo: string) => (r: Request) => r.method() === "POST" && r.url() === `${APP}/api/repos/${repo}/warm`;
  const pick = async (repo: string) => {
    await page.getByRole("button", { name: /Choose a repository|Repository:/ }).click();
    await page.getByLabel("Search repositories").fill(repo);
    await page.getByRole("listbox", { name: "Repositories" }).getByRole("option", { name: repo, exact: true }).click();
    await expect(page.getByRole("button", { name: `Repository: ${repo}` })).toBeVisible();
  };
  await page.goto("/");

  const first = page.waitForRequest(isWarm(REPO));
  await pick(REPO);
  const request = await first;
  expect(request.postDataJSON()).toEqual({ branch: "main" });
  // Same-origin JSON, as the app requires of every state change; the server takes it.
  const headers = await request.allHeaders();
  expect(headers["content-type"]).toBe("application/json");
  expect(headers.origin).toBe(APP);
  expect((await request.response())?.status()).toBe(202);

  const widgets = page.waitForRequest(isWarm("acme/widgets"));
  await pickWidgets(page);
  expect((await widgets).postDataJSON()).toEqual({ branch: "main" });
  const branch = page.getByLabel("Branch");
  await expect(branch.locator("option", { hasText: "develop" })).toHaveCount(1);
  const develop = page.waitForRequest((r) => isWarm("acme/widgets")(r) && r.postDataJSON()?.branch === "develop");
  await branch.selectOption("develop");
  expect((await (await develop).response())?.status()).toBe(202);

  // The same repository and branch again within 30 s: no second request (the next pick's comes first).
  await pick(REPO);
  const other = page.waitForRequest(isWarm("acme/service-08"));
  await pick("acme/service-08");
  await other;
  expect(warms.map((r) => `${new URL(r.url()).pathname} ${r.postData()}`)).toEqual([
    `/api/repos/${REPO}/warm {"branch":"main"}`,
    `/api/repos/acme/widgets/warm {"branch":"main"}`,
    `/api/repos/acme/widgets/warm {"branch":"develop"}`,
    `/api/repos/acme/service-08/warm {"branch":"main"}`,
  ]);
});
