import { expect, test, type ConsoleMessage } from "@playwright/test";
import { APP, pickWidgets, signIn } from "./support/session";

test("after sign-out the next person does not see the previous one's repository, and an error shows once", async ({ page }) => {
  await signIn(page, "alice");
  await page.getByRole("button", { name: "Choose a repository" }).click();
  await page.getByLabel("Search repositories").fill("alice/dotfiles");
  await page.getByRole("option", { name: /alice\/dotfiles/ }).click();
  await expect(page.getByRole("button", { name: "Repository: alice/dotfiles" })).toBeVisible();
  // Remembered for alice while she stays.
  await page.reload();
  await expect(page.getByRole("button", { name: "Repository: alice/dotfiles" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain("dotfiles");
  await signIn(page, "bob");
  await expect(page.getByRole("button", { name: "Choose a repository" })).toBeVisible();
  await expect(page.getByText("alice/dotfiles")).toHaveCount(0);

  await page.getByLabel("Describe a task").fill("Tidy the plans");
  await page.getByLabel("Describe a task").press("Control+Enter");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(1);
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Choose a repository first.");

  // A remembered repository the person can no longer reach is dropped, not offered (nor its branches' error).
  await page.getByRole("button", { name: "Choose a repository" }).click();
  await page.getByLabel("Search repositories").fill("bobcorp/secret-plans");
  await page.getByRole("listbox", { name: "Repositories" }).getByRole("option", { name: /bobcorp\/secret-plans/ }).click();
  await page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("patchbay-last-repo:"))!;
    const saved = JSON.parse(localStorage.getItem(key)!) as Record<string, unknown>;
    localStorage.setItem(key, JSON.stringify({ ...saved, fullName: "alice/dotfiles", owner: "alice", name: "dotfiles" }));
  });
  await page.reload();
  await expect(page.getByRole("button", { name: "Choose a repository" })).toBeVisible();
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
  // Dropped once the repository list has come back without it (the picker shows "Choose" before that answer).
  await expect.poll(() => page.evaluate(() => JSON.stringify(localStorage))).not.toContain("dotfiles");
});

test("the prompt box: a cut paste is said, a counter near the limit, and “Describe the task first.” goes once typing starts", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  const box = page.getByLabel("Describe a task");

  await box.press("Control+Enter");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Describe the task first.");
  await box.pressSequentially("M");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);

  await box.fill("x".repeat(18_500));
  await expect(page.getByTestId("text-limit")).toHaveText("18,500 / 20,000 characters");
  await box.fill("y".repeat(20_750));
  await expect(page.getByTestId("text-limit")).toHaveText("Cut to 20,000 characters: 750 more did not fit.");
  expect((await box.inputValue()).length).toBe(20_000);
  await box.fill("short again");
  await expect(page.getByTestId("text-limit")).toHaveCount(0);

  // A real paste in the middle: what fits goes in at the caret, the text around it stays.
  await box.fill("Before. After.");
  await box.evaluate((el: HTMLTextAreaElement) => {
    el.setSelectionRange(8, 8);
    const data = new DataTransfer();
    data.setData("text/plain", "z".repeat(21_000));
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expect(page.getByTestId("text-limit")).toHaveText("Cut to 20,000 characters: 1,014 more did not fit.");
  const value = await box.inputValue();
  expect(value.length).toBe(20_000);
  expect(value.startsWith("Before. z")).toBe(true);
  expect(value.endsWith("zAfter.")).toBe(true);
});

test("repo picker: Escape from the refresh button closes it and focus returns to the picker", async ({ page }) => {
  await signIn(page, "alice");
  const picker = page.getByRole("button", { name: "Choose a repository" });
  await picker.click();
  await expect(page.getByLabel("Search repositories")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Refresh the repository list" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("listbox", { name: "Repositories" })).toHaveCount(0);
  await expect(picker).toBeFocused();
  // From the search box too, and a choice made with the keyboard returns there as well.
  await picker.press("Enter");
  await page.keyboard.press("Escape");
  await expect(picker).toBeFocused();
  await picker.press("Enter");
  await page.getByLabel("Search repositories").fill("acme/widgets");
  await expect(page.getByRole("listbox", { name: "Repositories" }).getByRole("option", { name: "acme/widgets", exact: true })).toBeVisible();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Repository: acme/widgets" })).toBeFocused();
});

test("secrets: a bad name is refused before it is listed, a save error reads as a sentence, unsaved edits warn before leaving", async ({ page }) => {
  await signIn(page, "alice");
  await page.goto("/environments/acme/widgets");
  await expect(page.getByLabel("Setup script")).toBeVisible();
  const saved = page.getByRole("list", { name: "Saved secrets" });

  await page.getByLabel("Secret name").fill("1BAD");
  await page.getByLabel("Secret value").fill("s3cret");
  await page.getByRole("button", { name: "Add secret" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("“1BAD” starts with a digit: names start with a letter or _.");
  await expect(page.getByLabel("Secret name")).toHaveAttribute("aria-invalid", "true");
  await expect(saved).not.toContainText("1BAD");
  await page.getByLabel("Secret name").fill("GOOD_NAME");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
  await page.getByRole("button", { name: "Add secret" }).click();
  await expect(saved).toContainText("GOOD_NAMEnot saved yet");

  // The server refuses a bad variable name: said in words, not as the schema's path.
  await page.getByLabel("Environment variables").fill("1BAD=x");
  await page.getByRole("button", { name: "Save environment" }).click();
  const error = page.getByRole("main").getByRole("alert");
  await expect(error).toContainText("Nothing was saved: the environment variable “1BAD” was refused");
  await expect(error).not.toContainText("envVars");

  // Leaving with unsaved edits asks first; staying keeps them.
  const asked: string[] = [];
  page.once("dialog", (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.getByRole("link", { name: "← Tasks" }).click();
  await expect.poll(() => asked).toEqual(["This environment has unsaved changes. Leave without saving them?"]);
  await expect(page).toHaveURL(/\/environments\/acme\/widgets$/);
  await expect(page.getByLabel("Environment variables")).toHaveValue("1BAD=x");
  // Closing the tab asks the browser's way.
  const unload = page.waitForEvent("dialog");
  await page.close({ runBeforeUnload: true });
  expect((await unload).type()).toBe("beforeunload");
  await (await unload).accept();
});

test("no favicon 404 on any page, and the 404 page logs no React error", async ({ page }) => {
  const errors: string[] = [];
  const notFound: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 404/.test(m.text())) errors.push(m.text());
  });
  page.on("response", (r) => {
    if (r.status() === 404 && r.url().startsWith(APP) && r.request().resourceType() !== "document") notFound.push(r.url());
  });

  await page.goto("/signin");
  await signIn(page, "alice");
  for (const path of ["/", "/environments/acme/widgets", "/settings/tokens", "/tasks/00000000-0000-4000-8000-000000000000", "/no/such/page"]) {
    await page.goto(path);
    const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
    expect(icon, `an icon on ${path}`).toBeTruthy();
    const res = await page.request.get(icon!);
    expect(res.status(), `${icon} on ${path}`).toBe(200);
    expect(res.headers()["content-type"]).toMatch(/^image\//);
  }
  // Browsers ask for /favicon.ico on their own too (for a JSON answer, say).
  const ico = await page.request.get("/favicon.ico");
  expect(ico.status()).toBe(200);
  expect(ico.headers()["content-type"]).toMatch(/^image\//);

  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to tasks" }).click();
  await expect(page.getByRole("heading", { name: "What should we code next?" })).toBeVisible();
  expect(notFound).toEqual([]);
  expect(errors).toEqual([]);
});
