import { expect, test } from "@playwright/test";
import { fakeGitHub, fire, openTask, pickWidgets, signIn, taskRow } from "./support/session";
import { shootBothThemes } from "./support/axe";

type Attempt = { id: string; index: number; status: string; branchName: string | null };

test("Best-of-N: Compare side by side, the preselection said and changed in one click; every action acts on the attempt on screen", async ({
  page,
  context,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signIn(page, "alice");
  await pickWidgets(page);
  await page.getByLabel("Attempts", { exact: true }).selectOption("2");
  const title = "Make greet trim the name, compared";
  await fire(page, `[scenario:two-ways] ${title}`);
  await openTask(taskRow(page, title).first());
  const taskId = page.url().split("/tasks/")[1];
  const tabs = page.getByRole("tablist", { name: "Attempts" });
  await expect(tabs.locator("[data-status=succeeded]")).toHaveCount(2, { timeout: 60_000 });

  // Nothing chosen silently: the chosen attempt's bar says it was preselected.
  await expect(page.getByTestId("chosen-note")).toContainText("preselected");
  await page.getByRole("button", { name: "Compare", exact: true }).click();
  const table = page.getByRole("table", { name: "Compare attempts" });
  await expect(table).toBeVisible();
  await expect(page.getByTestId("choice-note")).toContainText("is preselected: it was the first to finish");
  // Approach B changed two files (one only it touched) and ran a check that fails; approach A one file, its test passes.
  const files = page.getByTestId("compare-files");
  await expect(files.filter({ hasText: "2 files" })).toHaveCount(1);
  const b = (await files.allTextContents()).findIndex((t) => t.includes("2 files"));
  const a = 1 - b;
  const [nameA, nameB] = [`Attempt ${a + 1}`, `Attempt ${b + 1}`];
  const checks = page.getByTestId("compare-checks");
  await expect(checks.nth(a)).toContainText("Check passed");
  await expect(checks.nth(b)).toContainText("1 of 2 checks passed");
  await expect(checks.nth(b).getByText("failed (exit")).toHaveCount(1);
  for (const i of [a, b]) {
    await expect(page.getByTestId("compare-tokens").nth(i)).not.toHaveText(/^0/);
    await expect(page.getByTestId("compare-worked").nth(i)).toHaveText(/^\d+s$/);
  }
  const docs = page.getByRole("article", { name: "Compare docs/greet.md" });
  await expect(docs.getByTestId("only-in")).toHaveText(`only ${nameB}`);
  await expect(docs.getByText(`Not changed by ${nameA}.`)).toBeVisible();
  const greet = page.getByRole("article", { name: "Compare src/greet.js" });
  await expect(greet.getByTestId("touched-by")).toHaveText("changed by every attempt, differently");
  await expect(greet.getByTestId("compare-cell").nth(a)).toContainText("name.trim()");
  await expect(greet.getByTestId("compare-cell").nth(b)).toContainText("String(name).trim()");
  await shootBothThemes(page, "compare", { fullPage: true });

  // One click changes the choice, and the note says it was the person's.
  const detail = async () => (await (await page.request.get(`/api/tasks/${taskId}`)).json()) as { task: { chosenAttemptId: string }; attempts: Attempt[] };
  const before = await detail();
  const other = before.attempts.find((x) => x.id !== before.task.chosenAttemptId)!;
  const otherName = `Attempt ${other.index + 1}`;
  await table.getByRole("button", { name: `Use ${otherName}` }).click();
  await expect(page.getByTestId("choice-note")).toHaveText(new RegExp(`You chose ${otherName}`));
  expect((await detail()).task.chosenAttemptId).toBe(other.id);

  // View the attempt that is NOT chosen: each action names it and acts on it.
  const viewed = before.attempts.find((x) => x.id === before.task.chosenAttemptId)!;
  const viewedName = `Attempt ${viewed.index + 1}`;
  await table.getByRole("button", { name: `View ${viewedName}` }).click();
  await expect(tabs.getByRole("tab", { name: new RegExp(viewedName) })).toHaveAttribute("aria-selected", "true");
  const bar = page.getByRole("region", { name: `${viewedName} actions` });
  const usage = bar.getByRole("definition");
  await expect(bar.getByTestId("usage-input")).not.toHaveText("0");
  await expect(bar.getByTestId("usage-output")).not.toHaveText("0");
  await expect(usage).toHaveCount(5);
  await expect(bar.getByText("Cached")).toBeVisible();
  await expect(bar.getByText("Reasoning")).toBeVisible();
  // The stack prices the fake model: the cost is shown in dollars.
  await expect(bar.getByTestId("usage-cost")).toHaveText(/^<?\$\d/);
  const diff = await (await page.request.get(`/api/tasks/${taskId}/attempts/${viewed.id}/diff`)).text();
  await bar.getByRole("button", { name: `Copy patch of ${viewedName}` }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(diff);
  await expect(bar.getByRole("link", { name: `Download ${viewedName}` })).toHaveAttribute("href", `/api/tasks/${taskId}/attempts/${viewed.id}/diff?download=1`);

  // A follow-up continues the attempt on screen; the chosen attempt stays as it was.
  await page.getByLabel("Follow-up").fill("Also keep the greeting short");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const followUp = page.getByTestId("turn").nth(1);
  await expect(followUp).toContainText(`Follow-up to ${viewedName}`);
  await expect(followUp.getByTestId("final-message")).toBeVisible({ timeout: 60_000 });
  const after = await detail();
  expect(after.attempts.find((x) => x.id === other.id)!.status).toBe("succeeded");
  await tabs.getByRole("tab", { name: new RegExp(otherName) }).click();
  await expect(page.getByTestId("turn")).toHaveCount(1);
  await tabs.getByRole("tab", { name: new RegExp(viewedName) }).click();
  await expect(page.getByTestId("turn")).toHaveCount(2);

  // Create PR from the attempt on screen pushes its branch (and makes it the chosen one).
  await bar.getByRole("button", { name: `Create PR from ${viewedName}` }).click();
  await expect(bar.getByTestId("push-outcome")).toContainText("Opened pull request", { timeout: 30_000 });
  const state = (await fakeGitHub("/_fake/state", undefined, "GET")) as { pulls: { title: string; head: string; base: string }[] };
  const pr = state.pulls.find((p) => p.title === title)!;
  const pushed = await detail();
  expect(pr.head).toBe(pushed.attempts.find((x) => x.id === viewed.id)!.branchName);
  expect(pushed.attempts.find((x) => x.id === other.id)!.branchName).not.toBe(pr.head);
  expect(pr.base).toBe("main");
  await expect(tabs.getByRole("tab", { name: new RegExp(`${viewedName}.*chosen`) })).toBeVisible();

  // Retry: a new attempt of the same task, shown at once.
  await tabs.getByRole("tab", { name: new RegExp(otherName) }).click();
  await page.getByRole("button", { name: `Retry ${otherName}` }).click();
  await expect(tabs.getByRole("tab", { name: /Attempt 3/ })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("region", { name: "Attempt 3 actions" })).toContainText(`retry of ${otherName}`);
  await expect(tabs.getByRole("tab", { name: /Attempt 3/ }).locator("[data-status=succeeded]")).toBeVisible({ timeout: 60_000 });
});
