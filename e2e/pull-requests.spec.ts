import { expect, test, type Page } from "@playwright/test";
import { fakeGitHub, fire, openTask, pickWidgets, signIn, taskRow } from "./support/session";


type FakePull = { repo: string; number: number; title: string; state: string; draft: boolean; body: string; head: string; base: string };

async function pulls(): Promise<FakePull[]> {
  return ((await fakeGitHub("/_fake/state", undefined, "GET")) as { pulls: FakePull[] }).pulls;
}

async function finishedCodeTask(page: Page, title: string) {
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, title);
  const row = taskRow(page, title).first();
  await expect(row).toContainText("+1 −1", { timeout: 60_000 });
  await openTask(row);
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  const id = page.url().split("/tasks/")[1];
  return id;
}

test.afterEach(async () => {
  await fakeGitHub("/_fake/faults", undefined, "DELETE");
});

test("Create PR pushes exactly the attempt's diff on the base commit and opens the PR; Update branch moves it", async ({ page }) => {
  const title = "Make greet trim the name for a PR";
  const id = await finishedCodeTask(page, title);
  const detail = await (await page.request.get(`/api/tasks/${id}`)).json();
  const attempt = detail.attempts[0];
  const diff = await (await page.request.get(`/api/tasks/${id}/attempts/${attempt.id}/diff`)).text();

  await page.getByRole("button", { name: "Create PR" }).click();
  const view = page.getByRole("link", { name: /View PR #\d+/ });
  await expect(view).toBeVisible();

  const pr = (await pulls()).find((p) => p.title === title)!;
  expect(pr).toMatchObject({ repo: "acme/widgets", state: "open", draft: false, base: "main" });
  expect(pr.head).toMatch(/^patchbay\/make-greet-trim-the-name-for-a-pr-[0-9a-f]{8}$/);
  expect(pr.body).toContain("## Summary");
  expect(pr.body).toContain("## Testing");
  expect(pr.body).toContain("node test/run.js");
  expect(pr.body).toContain(`/tasks/${id}`);
  const refs = (await fakeGitHub("/_fake/repos/acme/widgets/refs", undefined, "GET")) as Record<string, string>;
  const commit = (await fakeGitHub(`/_fake/repos/acme/widgets/commits/${refs[pr.head]}`, undefined, "GET")) as {
    parents: string[];
    diff: string;
    author: string;
  };
  expect(commit.parents).toEqual([attempt.baseCommit]);
  expect(commit.diff).toBe(diff);
  expect(commit.author).toMatch(/^Alice Example <1001\+alice@users\.noreply\./);

  // A follow-up, then Update branch: same PR, new head on top of the old one, with the new change.
  await page.getByLabel("Follow-up").fill("Also make sum ignore non-numbers");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("turn")).toHaveCount(2);
  await expect(page.getByTestId("turn").nth(1).getByTestId("final-message")).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Update branch" }).click();
  await expect
    .poll(async () => ((await fakeGitHub("/_fake/repos/acme/widgets/refs", undefined, "GET")) as Record<string, string>)[pr.head])
    .not.toBe(refs[pr.head]);
  const newRefs = (await fakeGitHub("/_fake/repos/acme/widgets/refs", undefined, "GET")) as Record<string, string>;
  const update = (await fakeGitHub(`/_fake/repos/acme/widgets/commits/${newRefs[pr.head]}`, undefined, "GET")) as { parents: string[]; diff: string };
  expect(update.parents).toEqual([refs[pr.head]]);
  expect(update.diff).toContain("src/sum.js");
  expect((await pulls()).filter((p) => p.head === pr.head)).toHaveLength(1);
});

test("a draft PR", async ({ page }) => {
  const title = "Make greet trim the name as a draft";
  await finishedCodeTask(page, title);
  await page.getByLabel("Draft").check();
  await page.getByRole("button", { name: "Create PR" }).click();
  await expect(page.getByRole("link", { name: /View PR #\d+/ })).toBeVisible();
  expect((await pulls()).find((p) => p.title === title)?.draft).toBe(true);
});

test("each GitHub refusal is its own message, and the task stays ready for another try", async ({ page }) => {
  const title = "Make greet trim the name despite errors";
  await finishedCodeTask(page, title);
  const create = page.getByRole("button", { name: "Create PR" });
  const alert = page.getByRole("main").getByRole("alert");

  await fakeGitHub("/_fake/faults", { method: "POST", path: "git-receive-pack$", status: 403, times: 1 });
  await create.click();
  await expect(alert).toContainText("cannot write to acme/widgets");

  await fakeGitHub("/_fake/faults", { method: "POST", path: "^/api/v3/repos/acme/widgets/pulls$", status: 503, times: 1 });
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(alert).toContainText(/GitHub is not answering|GitHub.*(unavailable|down)/i);

  await fakeGitHub("/_fake/faults", {
    method: "POST",
    path: "^/api/v3/repos/acme/widgets/pulls$",
    status: 429,
    headers: { "retry-after": "30" },
    body: { message: "API rate limit exceeded" },
    times: 1,
  });
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(alert).toContainText(/rate limit/i);

  // Nothing was lost: the diff is still there and the button works once GitHub does.
  await expect(page.getByRole("table", { name: "Changes in src/greet.js" })).toBeVisible();
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(page.getByRole("link", { name: /View PR #\d+/ })).toBeVisible();
  expect((await pulls()).filter((p) => p.title === title)).toHaveLength(1);
});

test("a deleted base branch and a taken branch name are reported clearly", async ({ page }) => {
  // The base branch: a task on a branch that is then deleted on GitHub.
  await fakeGitHub("/_fake/repos/acme/widgets/branches", { name: "feature-gone", from: "main" });
  await signIn(page, "alice");
  await pickWidgets(page);
  await expect(page.getByLabel("Branch", { exact: true }).locator("option", { hasText: "feature-gone" })).toHaveCount(1);
  await page.getByLabel("Branch", { exact: true }).selectOption("feature-gone");
  await fire(page, "Make greet trim the name on a doomed branch");
  const row = taskRow(page, "Make greet trim the name on a doomed branch").first();
  await expect(row).toContainText("+1 −1", { timeout: 60_000 });
  await openTask(row);
  await fakeGitHub("/_fake/repos/acme/widgets/branches/feature-gone", undefined, "DELETE");
  await page.getByRole("button", { name: "Create PR" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("feature-gone is gone");
  await expect(page.getByRole("button", { name: "Create PR" })).toBeEnabled();
});
