import { expect, test } from "@playwright/test";
import { fire, openTask, pickWidgets, signIn, taskRow } from "./support/session";
import { shootBothThemes } from "./support/axe";

test("steering: a message sent while the agent works lands between its steps, in the conversation and the log; the page opens on the live log and switches to the diff pane at the end", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "[scenario:steerable] tick while I steer");
  await openTask(taskRow(page, "tick while I steer").first());
  // A running task opens on its live log.
  const output = page.getByRole("tablist", { name: "Output" });
  await expect(output.getByRole("tab", { name: "Logs" })).toHaveAttribute("aria-selected", "true");
  const log = page.getByRole("log", { name: "Work log" });
  await expect(log.getByText("tick 2", { exact: true })).toBeVisible({ timeout: 60_000 });

  const box = page.getByLabel("Message while it works");
  // An image pasted now is not taken silently: it goes with a follow-up.
  await box.evaluate(async (el) => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 8;
    const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), "image/png"));
    const data = new DataTransfer();
    data.items.add(new File([blob], "shot.png", { type: "image/png" }));
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expect(page.getByRole("status").filter({ hasText: "Images go with a follow-up" })).toBeVisible();
  await box.fill("Please also greet the team");
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(box).toHaveValue("");
  // Taken at the agent's next step (after the command), then shown where it landed, and acknowledged.
  const steer = page.getByTestId("steer-message");
  await expect(steer).toContainText("Please also greet the team", { timeout: 30_000 });
  await expect(page.getByTestId("steer-pending")).toHaveCount(0);
  await expect(page.getByTestId("final-message")).toContainText("Understood — I got your message");

  // Finished: the page moved to the Diff pane on its own (the person never picked one).
  await expect(output.getByRole("tab", { name: "Diff" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByText("No changes.")).toBeVisible();
  await expect(page.getByLabel("Follow-up")).toBeEnabled();
  // In the log, the message sits where it landed: after the command that was running when it was sent.
  await output.getByRole("tab", { name: "Logs" }).click();
  const inLog = log.getByText("You, while it worked");
  await expect(inLog).toBeVisible();
  const lastTick = await log.getByText("tick 15", { exact: true }).boundingBox();
  const landed = await inLog.boundingBox();
  expect(landed!.y).toBeGreaterThan(lastTick!.y);
  await shootBothThemes(page, "steering");
});

test("Stop still works while steering is possible; a stopped turn says Stopped, and a pane the person chose stays", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await fire(page, "[scenario:slow] a task to stop mid-way");
  await openTask(taskRow(page, "a task to stop mid-way").first());
  const output = page.getByRole("tablist", { name: "Output" });
  // The person picks the Logs pane themselves: it stays when the attempt ends.
  await output.getByRole("tab", { name: "Diff" }).click();
  await output.getByRole("tab", { name: "Logs" }).click();
  await expect(page.getByRole("log", { name: "Work log" }).getByText("step 2", { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByLabel("Message while it works")).toBeEnabled();
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByTestId("turn-stopped")).toContainText("Stopped", { timeout: 15_000 });
  await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0);
  await expect(page.locator("[data-status=cancelled]").first()).toHaveText("Stopped");
  await expect(output.getByRole("tab", { name: "Logs" })).toHaveAttribute("aria-selected", "true");
  // One vocabulary: nothing on the page says "cancelled".
  await expect(page.locator("main")).not.toContainText(/cancel/i);
  await expect(page.locator("main").getByRole("alert")).toHaveCount(0);
});

test("Best-of-N: Stop Attempt N stops only the attempt on screen; Stop all stops the rest", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  await page.getByLabel("Attempts", { exact: true }).selectOption("2");
  await fire(page, "[scenario:slow] two slow runs to stop one by one");
  await openTask(taskRow(page, "two slow runs to stop one by one").first());
  const tabs = page.getByRole("tablist", { name: "Attempts" });
  const first = tabs.getByRole("tab", { name: /Attempt 1/ });
  const second = tabs.getByRole("tab", { name: /Attempt 2/ });
  await first.click();
  await expect(page.getByRole("log", { name: "Work log" }).getByText("step 2", { exact: true })).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Stop Attempt 1" }).click();
  await expect(first.locator("[data-status=cancelled]")).toHaveText("Stopped", { timeout: 15_000 });
  // The other attempt keeps working.
  await second.click();
  await expect(page.getByRole("log", { name: "Work log" }).getByText("step 12", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(second).not.toContainText("Stopped");
  await page.getByRole("button", { name: "Stop all" }).click();
  await expect(second.locator("[data-status=cancelled]")).toHaveText("Stopped", { timeout: 15_000 });
  await expect(page.getByRole("button", { name: /^Stop/ })).toHaveCount(0);
});
