import { expect, test, type Page } from "@playwright/test";
import { fire, pickWidgets, signIn, taskRow } from "./support/session";

type ApiTask = { id: string; title: string; status: string; workedMs: number; createdAt: string; finishedAt: string | null };

/** "42s", "4m 12s": as the board writes a duration. */
function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

async function boardTasks(page: Page): Promise<ApiTask[]> {
  const res = await page.request.get("/api/tasks");
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { tasks: ApiTask[] }).tasks;
}

test("the board is live across tabs: a task made in one shows in the other within 2 s, and its status follows", async ({ page, context }) => {
  await signIn(page, "alice");
  const other = await context.newPage();
  await other.goto("/");
  await expect(other.getByRole("heading", { name: "What should we code next?" })).toBeVisible();
  await expect(other.getByTestId("task-row").first().or(other.getByText("No tasks yet. Describe one above."))).toBeVisible();

  // Each way: from the tab holding the board's stream to the other, and back.
  for (const [from, to, title] of [
    [other, page, "Make greet trim the name (made in the second tab)"],
    [page, other, "Make greet trim the name (made in the first tab)"],
  ] as const) {
    await pickWidgets(from);
    await fire(from, title);
    await expect(taskRow(from, title)).toHaveAttribute("data-task-id", /^[0-9a-f]{8}-/);
    const created = Date.now();
    await expect(taskRow(to, title)).toBeVisible({ timeout: 2_000 });
    console.log(`board: a task made in one tab showed in the other after ${Date.now() - created} ms`);
    // Its status follows without a reload: working, then the diff it made.
    await expect(taskRow(to, title)).toContainText("+1 −1", { timeout: 60_000 });
  }

  // Worked time, not wall time: the row says what the server measured of the agent's work.
  const made = ["Make greet trim the name (made in the second tab)", "Make greet trim the name (made in the first tab)"];
  const tasks = (await boardTasks(page)).filter((t) => made.includes(t.title));
  expect(tasks).toHaveLength(2);
  for (const t of tasks) {
    expect(t.workedMs).toBeGreaterThan(0);
    expect(t.workedMs).toBeLessThanOrEqual(new Date(t.finishedAt!).getTime() - new Date(t.createdAt).getTime());
    await expect(taskRow(page, t.title)).toContainText(`worked ${duration(t.workedMs)}`);
  }

  // The header says what the work cost this person: tokens (and the cost where the model has a price).
  const usage = (await (await page.request.get("/api/usage")).json()) as { last30Days: { inputTokens: number; outputTokens: number } };
  const total = usage.last30Days.inputTokens + usage.last30Days.outputTokens;
  expect(total).toBeGreaterThan(0);
  const shown = total < 1000 ? String(total) : `${(total / 1000).toFixed(total < 10_000 ? 1 : 0).replace(/\.0$/, "")}k`;
  await expect(page.getByTestId("usage-summary")).toContainText(`${shown} tokens`);
});

test("no polling: once its stream is open, an idle board asks the server nothing for ten minutes", async ({ page }) => {
  await signIn(page, "alice");
  // Leave the signed-in board first: its own stream, opening late, must not be counted as the new page's.
  await page.goto("about:blank");
  await page.clock.install();
  const asked: string[] = [];
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith("/api/")) asked.push(url.pathname);
  });
  await page.goto("/");
  await expect(page.getByTestId("task-row").first()).toBeVisible();
  // The first seconds: the page's own reads, and one more when the stream says it is listening.
  await page.clock.runFor(5_000);
  await expect(page.getByTestId("usage-summary")).toBeVisible();
  const settled = asked.length;
  expect(asked.filter((p) => p === "/api/tasks/events")).toHaveLength(1);
  // Then ten idle minutes: a polling board would have asked dozens of times.
  await page.clock.runFor(10 * 60_000);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  expect(asked.slice(settled)).toEqual([]);
});

test("quick submits: created in the order given, and the rows line up while they are pending", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  // Hold the server's answers, to look at the rows while they are pending.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/tasks", async (route) => {
    if (route.request().method() === "POST") await held;
    await route.continue();
  });
  const titles = ["Make greet trim the name, first", "Make greet trim the name, second", "Make greet trim the name, third"];
  for (const t of titles) await fire(page, t);
  const rows = page.getByTestId("task-row");
  for (const [i, t] of [...titles].reverse().entries()) await expect(rows.nth(i)).toContainText(t);

  // Pending rows and created ones: same height, titles and statuses in the same columns.
  const boxes = [];
  const count = await rows.count();
  for (let i = 0; i < count; i++) {
    const row = rows.nth(i);
    const title = row.locator("a, span.block").first();
    boxes.push({
      height: (await row.boundingBox())!.height,
      titleX: (await title.boundingBox())!.x,
      statusRight: await row.getByTestId("task-row-status").evaluate((el) => el.getBoundingClientRect().right),
    });
  }
  for (const b of boxes) {
    expect(b.titleX).toBeCloseTo(boxes[0].titleX, 0);
    expect(b.statusRight).toBeCloseTo(boxes[0].statusRight, 0);
    expect(Math.abs(b.height - boxes[0].height)).toBeLessThanOrEqual(1);
  }

  release();
  for (const t of titles) await expect(taskRow(page, t)).toHaveAttribute("data-task-id", /^[0-9a-f]{8}-/);
  for (const [i, t] of [...titles].reverse().entries()) await expect(rows.nth(i)).toContainText(t);
  // The server has them in the order they were submitted too.
  const created = (await boardTasks(page)).filter((t) => titles.includes(t.title));
  const byTime = [...created].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((t) => t.title);
  expect(byTime).toEqual(titles);
  await page.reload();
  for (const [i, t] of [...titles].reverse().entries()) await expect(rows.nth(i)).toContainText(t);
});

for (const theme of ["light", "dark"] as const) {
  test(`the board in the ${theme} theme (screenshot)`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme });
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, "alice");
    await expect(page.getByTestId("task-row").first()).toBeVisible();
    await expect(page.getByTestId("usage-summary")).toBeVisible();
    await page.screenshot({ path: `reports/screenshots/board-${theme}.png` });
  });
}
