import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { openTask, sameOrigin, signIn, taskRow } from "./support/session";

// acme/gadgets: an environment no other spec uses, so these settings never reach their tasks.
const REPO = "acme/gadgets";
const PAGE = `/environments/${REPO}`;
const API = `/api/environments/${REPO}`;

async function violations(page: Page) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

/** CSP violations the page reported since it loaded (the form checks domains without zod's `new Function` probe). */
async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? ["no listener"]);
}

const agentGroup = (page: Page) => page.getByRole("group", { name: "Agent internet access" });
const setupGroup = (page: Page) => page.getByRole("group", { name: "Setup script internet access" });

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
  });
  await signIn(page, "alice");
  // Start from the defaults whatever an earlier run left.
  expect((await page.request.put(API, { data: {}, headers: sameOrigin })).status()).toBe(200);
});

test("environment internet settings: allowlist, preset, domains, read-only, setup policy and maintenance script are kept", async ({ page }) => {
  await page.goto(PAGE);
  await expect(page.getByRole("heading", { name: /Environment · acme\/gadgets/ })).toBeVisible();
  // Defaults: the agent offline, setup online, no allowlist to edit.
  await expect(agentGroup(page).getByRole("radio", { name: "Off" })).toBeChecked();
  await expect(setupGroup(page).getByRole("radio", { name: "On" })).toBeChecked();
  await expect(page.getByLabel("Allowed domains")).toHaveCount(0);

  // The radios follow the arrow keys: Off → Allowlist.
  await agentGroup(page).getByRole("radio", { name: "Off" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(agentGroup(page).getByRole("radio", { name: "Allowlist" })).toBeChecked();
  await setupGroup(page).getByRole("radio", { name: "Allowlist" }).check();
  await expect(page.getByText("Used by the agent and the setup script.")).toBeVisible();

  // The preset's hosts are listed, and the list folds away.
  await page.getByRole("radio", { name: "Common package registries" }).check();
  const hosts = page.getByRole("list", { name: "Hosts of Common package registries" });
  await expect(hosts).toContainText("registry.npmjs.org");
  await expect(hosts).toContainText("pypi.org");
  const toggle = page.getByRole("button", { name: /the \d+ hosts of Common package registries/ });
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await toggle.click();
  await expect(hosts).toHaveCount(0);
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(hosts).toBeVisible();

  await page.getByLabel("Allowed domains").fill("API.Example.com\n\n*.mirror.example.org\n");
  await page.getByRole("radio", { name: "Read-only" }).check();
  await expect(page.getByText(/Inside HTTPS the proxy sees just the host name of a CONNECT/)).toBeVisible();
  await page.getByLabel("Maintenance script").fill("npm install --prefer-offline");
  await expect(page.getByText("Unsaved changes")).toBeVisible();
  await page.getByRole("button", { name: "Save environment" }).click();
  await expect(page.getByRole("status")).toContainText("Saved");

  await page.reload();
  await expect(agentGroup(page).getByRole("radio", { name: "Allowlist" })).toBeChecked();
  await expect(setupGroup(page).getByRole("radio", { name: "Allowlist" })).toBeChecked();
  await expect(page.getByRole("radio", { name: "Common package registries" })).toBeChecked();
  await expect(page.getByRole("radio", { name: "Read-only" })).toBeChecked();
  // Kept as the server keeps them: lower case, blank lines gone.
  await expect(page.getByLabel("Allowed domains")).toHaveValue("api.example.com\n*.mirror.example.org");
  await expect(page.getByLabel("Maintenance script")).toHaveValue("npm install --prefer-offline");
  const { environment } = (await (await page.request.get(API)).json()) as { environment: Record<string, unknown> };
  expect(environment).toMatchObject({
    internetPolicy: "allowlist",
    setupInternetPolicy: "allowlist",
    allowlistPreset: "common",
    allowedDomains: ["api.example.com", "*.mirror.example.org"],
    allowedMethods: "read",
    maintenanceScript: "npm install --prefer-offline",
  });
  expect(await cspViolations(page)).toEqual([]);

  // The page with the allowlist open passes the accessibility checks in both themes.
  for (const theme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.reload();
    await expect(page.getByLabel("Allowed domains")).toBeVisible();
    expect(await violations(page)).toEqual([]);
  }
});

test("a bad domain names its line and nothing is saved", async ({ page }) => {
  expect((await page.request.put(API, { data: { internetPolicy: "allowlist", allowedDomains: ["good.example.com"] }, headers: sameOrigin })).status()).toBe(200);
  await page.goto(PAGE);
  const domains = page.getByLabel("Allowed domains");
  await expect(domains).toHaveValue("good.example.com");
  const writes: string[] = [];
  page.on("request", (r) => {
    if (r.method() !== "GET" && r.url().includes("/api/environments/")) writes.push(`${r.method()} ${r.url()}`);
  });

  await domains.fill("good.example.com\nhttps://bad.example.com/path\n*.fine.example.org");
  await page.getByLabel("Maintenance script").fill("echo not saved");
  await page.getByRole("button", { name: "Save environment" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Allowed domains" });
  await expect(alert).toContainText("Line 2: “https://bad.example.com/path” is not a host name (use example.com or *.example.com)");
  await expect(alert).toContainText("Nothing was saved.");
  // The field says so too, and has the focus to fix it.
  await expect(domains).toHaveAttribute("aria-invalid", "true");
  await expect(domains).toBeFocused();
  await expect(page.getByText("Line 2: “https://bad.example.com/path” is not a host name", { exact: false }).first()).toBeVisible();
  expect(await violations(page)).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
  expect(writes).toEqual([]);

  await page.reload();
  await expect(page.getByLabel("Allowed domains")).toHaveValue("good.example.com");
  await expect(page.getByLabel("Maintenance script")).toHaveValue("");
});

test("Reset cache shows an empty cache", async ({ page }) => {
  await page.goto(PAGE);
  const cache = page.getByRole("region", { name: "Cache" });
  await cache.getByRole("button", { name: "Reset cache" }).click();
  await expect(cache.getByRole("status")).toContainText("Cache reset");
  await expect(cache.getByTestId("cache-entries")).toHaveText("0");
  await expect(cache.getByTestId("cache-bytes")).toHaveText("0 B");
  await expect(cache.getByTestId("cache-newest")).toHaveText("—");
});

test("a host that is not on the allowlist is refused, and the log says why", async ({ page }) => {
  const env = { internetPolicy: "allowlist", allowedDomains: ["example.com"], setupScript: "echo preparing gadgets", setupInternetPolicy: "off" };
  expect((await page.request.put(API, { data: env, headers: sameOrigin })).status()).toBe(200);
  await page.goto("/");
  await page.getByRole("button", { name: /Choose a repository|Repository:/ }).click();
  await page.getByLabel("Search repositories").fill(REPO);
  await page.getByRole("listbox", { name: "Repositories" }).getByRole("option", { name: REPO }).click();
  const box = page.getByLabel("Describe a task");
  await box.fill("[scenario:net-blocked] fetch the blocked page");
  await box.press("Control+Enter");

  const row = taskRow(page, "fetch the blocked page").first();
  await openTask(row);
  await expect(page.getByTestId("final-message")).toContainText("not reachable", { timeout: 60_000 });
  await page.getByRole("tab", { name: "Logs" }).click();
  const log = page.getByRole("log", { name: "Work log" });
  const refusal = log.getByRole("note").filter({ hasText: "blocked.example" });
  await expect(refusal).toContainText(/blocked\.example.* refused — blocked\.example is not on this environment's internet allowlist/);
  await expect(refusal).toContainText("Network · agent");
  // curl's own view: the proxy's 403.
  await expect(log.locator('[data-testid="log-line"] > span:last-child').filter({ hasText: /^403$/ })).toHaveCount(1);
  await expect(log).toContainText("curl -s -o /dev/null");
  expect(await violations(page)).toEqual([]);
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await violations(page)).toEqual([]);

  // Setup ran (and a caching runner kept what it prepared): Reset cache leaves nothing.
  await page.goto(PAGE);
  const cache = page.getByRole("region", { name: "Cache" });
  test.info().annotations.push({ type: "cache entries before reset", description: await cache.getByTestId("cache-entries").innerText() });
  await cache.getByRole("button", { name: "Reset cache" }).click();
  await expect(cache.getByRole("status")).toContainText("Cache reset");
  await expect(cache.getByTestId("cache-entries")).toHaveText("0");
});
