import { expect, test, type Locator } from "@playwright/test";
import { fakeGitHub, fire, openTask, pickWidgets, sameOrigin, signIn, taskRow } from "./support/session";

async function box(l: Locator) {
  const b = await l.boundingBox();
  if (!b) throw new Error("not laid out");
  return b;
}

test("Ask: each proposed task has a Start task button that creates that Code task and opens it", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "[scenario:ask-propose] How could sum be safer?", "ask");
  await openTask(taskRow(page, "How could sum be safer?").first());
  const stubs = page.getByTestId("final-message").getByTestId("task-stub");
  await expect(stubs).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByTestId("final-message")).not.toContainText(":::");
  await expect(stubs.first()).toContainText("skip the values that are not finite numbers");
  // The log's copy of the answer shows the proposals as cards too, not as raw directives.
  await page.getByRole("tablist", { name: "Output" }).getByRole("tab", { name: "Logs" }).click();
  const log = page.getByRole("log", { name: "Work log" });
  await log.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(log.getByTestId("log-task-stub")).toHaveCount(2);
  await expect(log).not.toContainText(":::");
  const askUrl = page.url();
  await page.getByRole("button", { name: "Start task: Make sum ignore non-numbers" }).click();
  await expect(page).not.toHaveURL(askUrl);
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "Make sum ignore non-numbers" })).toBeVisible();
  await expect(page.getByText("Code", { exact: true })).toBeVisible();
  await expect(page.getByTestId("prompt-text").first()).toContainText("In src/sum.js, skip the values");
});

test("PR: the base branch is the person's pick (default the task's); Update branch says what it pushed", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  const title = "Make greet trim the name into develop";
  await fire(page, title);
  const row = taskRow(page, title).first();
  await expect(row).toContainText("+1 −1", { timeout: 60_000 });
  await openTask(row);
  const base = page.getByLabel("Base branch");
  await expect(base).toHaveValue("main");
  await base.fill("develop");
  await page.getByRole("button", { name: "Create PR" }).click();
  await expect(page.getByTestId("push-outcome")).toContainText("into develop");
  await expect(page.getByRole("link", { name: /View PR #\d+.*into develop/ })).toBeVisible();
  const { pulls } = (await fakeGitHub("/_fake/state", undefined, "GET")) as { pulls: { title: string; base: string }[] };
  expect(pulls.find((p) => p.title === title)?.base).toBe("develop");

  await page.getByRole("button", { name: "Update branch" }).click();
  await expect(page.getByTestId("push-outcome")).toContainText(/already up to date/i);
  await page.getByLabel("Follow-up").fill("Also make sum ignore non-numbers");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("turn").nth(1).getByTestId("final-message")).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Update branch" }).click();
  await expect(page.getByTestId("push-outcome")).toContainText("Pushed 1 commit");
});

test("defects: a long prompt folds with Show more; the log's final message is rendered Markdown; Jump to latest covers no exit badge; a cited chunk scrolls into view", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, "alice");
  await pickWidgets(page);
  const long = `[scenario:many-lines] print a lot of lines ${"and then some more words ".repeat(60)}${"x".repeat(400)}`;
  await fire(page, long);
  await openTask(taskRow(page, /^print a lot of lines/).first());

  const prompt = page.getByTestId("prompt").first();
  const conversation = page.getByRole("region", { name: "Conversation" });
  await expect(prompt.getByRole("button", { name: "Show more" })).toBeVisible();
  const text = prompt.getByTestId("prompt-text");
  expect((await box(text)).height).toBeLessThan(200);
  const overflow = await text.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect((await box(prompt)).x + (await box(prompt)).width).toBeLessThanOrEqual((await box(conversation)).x + (await box(conversation)).width + 1);
  await prompt.getByRole("button", { name: "Show more" }).click();
  await expect(text).toContainText("x".repeat(400));
  await expect(prompt.getByRole("button", { name: "Show less" })).toBeVisible();

  // From the Diff pane (the finished task opens on it), a log citation opens the log on the cited lines (the last of
  // 5000), in view and clear of the bottom edge.
  const log = page.getByRole("log", { name: "Work log" });
  const final = page.getByTestId("final-message");
  await expect(final).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("tablist", { name: "Output" }).getByRole("tab", { name: "Diff" })).toHaveAttribute("aria-selected", "true");
  await final.getByRole("button", { name: /Open log chunk/ }).click();
  const lit = log.locator("[data-testid=log-line][data-highlighted]");
  await expect(lit).toHaveCount(3);
  await expect(lit.last()).toContainText("line 5000 of the long output");
  await expect
    .poll(async () => {
      const l = await box(log);
      const first = await box(lit.first());
      const last = await box(lit.last());
      return first.y >= l.y && last.y + last.height <= l.y + l.height - 24;
    })
    .toBe(true);
  await expect(lit.last()).toBeInViewport();

  // The final message in the log: Markdown with citation buttons, no raw markers.
  await page.evaluate(() => window.scrollTo(0, 0));
  await log.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(log.getByRole("button", { name: /Open log chunk/ })).toBeVisible();
  await expect(log).not.toContainText("【");

  // Scrolled up: Jump to latest shows in the log's toolbar, outside the lines, so it never covers an exit badge.
  await log.focus();
  await page.keyboard.press("Home");
  const pill = page.getByRole("button", { name: "Jump to latest" });
  await expect(pill).toBeVisible();
  expect((await box(pill)).y + (await box(pill)).height).toBeLessThanOrEqual((await box(log)).y);

  // In a narrow window the log sits under the conversation: following a citation brings the cited lines on screen.
  await page.setViewportSize({ width: 760, height: 700 });
  await page.getByRole("tablist", { name: "Output" }).getByRole("tab", { name: "Diff" }).click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await final.getByRole("button", { name: /Open log chunk/ }).click();
  await expect(lit.first()).toBeInViewport();
  await expect(lit.last()).toBeInViewport();
});

test("the attempt tabs stay on one row at 1440 px with 4 attempts", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signIn(page, "alice");
  await pickWidgets(page);
  await page.getByLabel("Attempts", { exact: true }).selectOption("4");
  await fire(page, "Make greet trim the name, four ways");
  await openTask(taskRow(page, "Make greet trim the name, four ways").first());
  const tabs = page.getByRole("tablist", { name: "Attempts" });
  await expect(tabs.locator("[data-status=succeeded]")).toHaveCount(4, { timeout: 90_000 });
  const all = tabs.getByRole("tab");
  await expect(all).toHaveCount(4);
  const compare = page.getByRole("button", { name: "Compare", exact: true });
  const tops = new Set<number>();
  for (const t of [...(await all.all()), compare]) tops.add(Math.round((await box(t)).y));
  expect([...tops]).toHaveLength(1);
  expect(await tabs.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  // Compare with four: every column readable, nothing cut off the page.
  await compare.click();
  await expect(page.getByRole("table", { name: "Compare attempts" })).toBeVisible();
  await expect(page.getByTestId("compare-cell")).toHaveCount(4);
  await expect(page.getByTestId("touched-by")).toHaveText("the same change in every attempt");
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await page.screenshot({ path: "reports/screenshots/compare-four-light.png", fullPage: true, animations: "disabled" });
});

test("images: a turn's images are shown in the conversation; a follow-up takes pasted and dropped images and sends them to the model", async ({
  page,
}) => {
  await signIn(page, "alice");
  // A 1×1 PNG, uploaded and attached as the composer does.
  const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
  const image = await (await page.request.post("/api/images", { data: { data: png }, headers: sameOrigin })).json();
  const created = await page.request.post("/api/tasks", {
    data: { repo: "acme/widgets", branch: "main", mode: "ask", prompt: "What does this screenshot show?", images: [image.id] },
    headers: sameOrigin,
  });
  expect(created.status()).toBe(201);
  const { task } = await created.json();
  await page.goto(`/tasks/${task.id}`);
  const img = page.getByTestId("turn").first().getByRole("img", { name: "Attached image 1" });
  await expect(img).toBeVisible();
  expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(1);
  await expect(page.getByTestId("final-message")).toBeVisible({ timeout: 60_000 });

  // Follow-up: one image pasted, one dropped, previewed, then sent with the text.
  const drawn = await page.evaluate(async () => {
    const out: string[] = [];
    for (const [name, type, color] of [
      ["pasted.png", "image/png", "#2f6fec"],
      ["dropped.jpg", "image/jpeg", "#cf222e"],
    ]) {
      const canvas = document.createElement("canvas");
      canvas.width = 40;
      canvas.height = 30;
      const ctx = canvas.getContext("2d")!;
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, 40, 30);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), type));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let binary = "";
      for (const b of bytes) binary += String.fromCharCode(b);
      (window as unknown as Record<string, File>)[name] = new File([blob], name, { type });
      out.push(btoa(binary));
    }
    return out;
  });
  const box = page.getByLabel("Follow-up");
  await box.evaluate((el) => {
    const data = new DataTransfer();
    data.items.add((window as unknown as Record<string, File>)["pasted.png"]);
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  const dt = await page.evaluateHandle(() => {
    const d = new DataTransfer();
    d.items.add((window as unknown as Record<string, File>)["dropped.jpg"]);
    return d;
  });
  await box.dispatchEvent("dragover", { dataTransfer: dt });
  await box.dispatchEvent("drop", { dataTransfer: dt });
  const tray = page.getByRole("region", { name: "Conversation" }).getByRole("list", { name: "Attached images" }).last();
  await expect(tray.getByRole("img")).toHaveCount(2);
  await expect(page.getByRole("status", { name: /Uploading/ })).toHaveCount(0);
  await box.fill("And what about these two pictures?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const second = page.getByTestId("turn").nth(1);
  await expect(second.getByTestId("turn-image")).toHaveCount(2);
  await expect(second.getByTestId("final-message")).toBeVisible({ timeout: 60_000 });
  const { requests } = (await (await fetch("http://127.0.0.1:3102/_fake/requests?last=50")).json()) as { requests: { body: unknown }[] };
  const sent = requests.filter((r) => JSON.stringify(r.body).includes("And what about these two pictures?"));
  expect(sent.length).toBeGreaterThan(0);
  const images = JSON.stringify(sent[0].body).match(/data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+/g) ?? [];
  expect(images).toEqual(expect.arrayContaining([`data:image/png;base64,${drawn[0]}`, `data:image/jpeg;base64,${drawn[1]}`]));
});
