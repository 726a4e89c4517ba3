import { expect, test, type Page } from "@playwright/test";
import { pickWidgets, signIn, taskRow } from "./support/session";

const FAKE_MODEL = "http://127.0.0.1:3102";

/** A real image drawn in the page (canvas), as a File, with its bytes in base64 for checking what the model got. */
async function drawImage(page: Page, type: "image/png" | "image/jpeg" | "image/webp", name: string, color: string) {
  return page.evaluate(
    async ({ type, name, color }) => {
      const canvas = document.createElement("canvas");
      canvas.width = 96;
      canvas.height = 64;
      const ctx = canvas.getContext("2d")!;
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, 96, 64);
      ctx.fillStyle = "#fff";
      ctx.fillRect(12, 12, 40, 8);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), type));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let binary = "";
      for (const b of bytes) binary += String.fromCharCode(b);
      (window as unknown as Record<string, File>)[name] = new File([blob], name, { type });
      return btoa(binary);
    },
    { type, name, color },
  );
}

/** Pastes the named file (made by drawImage) into the prompt box, as a clipboard with an image would. */
async function pasteFile(page: Page, name: string) {
  await page.getByLabel("Describe a task").evaluate((box, name) => {
    const data = new DataTransfer();
    data.items.add((window as unknown as Record<string, File>)[name]);
    box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, name);
}

/** Drops the named file onto the composer. */
async function dropFile(page: Page, name: string) {
  const data = await page.evaluateHandle((name) => {
    const dt = new DataTransfer();
    dt.items.add((window as unknown as Record<string, File>)[name]);
    return dt;
  }, name);
  const box = page.getByLabel("Describe a task");
  await box.dispatchEvent("dragover", { dataTransfer: data });
  await box.dispatchEvent("drop", { dataTransfer: data });
}

test("images in the composer: paste, drop or pick; checked, previewed, removable, and sent to the model", async ({ page }) => {
  await signIn(page, "alice");
  await pickWidgets(page);
  const tray = page.getByRole("list", { name: "Attached images" });

  const png = await drawImage(page, "image/png", "button.png", "#2f6fec");
  await pasteFile(page, "button.png");
  await expect(tray.getByRole("img", { name: "Image 1: button.png" })).toBeVisible();

  await drawImage(page, "image/jpeg", "photo.jpg", "#cf222e");
  await dropFile(page, "photo.jpg");
  await expect(tray.getByRole("img", { name: "Image 2: photo.jpg" })).toBeVisible();

  // Content decides, not the name: text called .png is refused at once, with the reason.
  await page.evaluate(() => {
    (window as unknown as Record<string, File>)["notes.png"] = new File(["just text"], "notes.png", { type: "image/png" });
  });
  await pasteFile(page, "notes.png");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("notes.png was not attached: only PNG, JPEG and WebP images can be.");
  // Too big: said, not attached.
  await page.evaluate(() => {
    const big = new Uint8Array(6 * 1024 * 1024);
    big.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    (window as unknown as Record<string, File>)["huge.png"] = new File([big], "huge.png", { type: "image/png" });
  });
  await dropFile(page, "huge.png");
  await expect(page.getByRole("main").getByRole("alert")).toContainText("huge.png was not attached: it is 6.0 MB, and images are at most 5 MB.");

  // The file picker takes WebP; the fifth image is one too many.
  const webp = await drawImage(page, "image/webp", "mock.webp", "#176c30");
  await page.getByTestId("image-input").evaluate((input: HTMLInputElement) => {
    const dt = new DataTransfer();
    dt.items.add((window as unknown as Record<string, File>)["mock.webp"]);
    input.files = dt.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await expect(tray.getByRole("img", { name: "Image 3: mock.webp" })).toBeVisible();
  await drawImage(page, "image/png", "four.png", "#7d5400");
  await pasteFile(page, "four.png");
  await drawImage(page, "image/png", "five.png", "#5f5f5b");
  await pasteFile(page, "five.png");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("At most 4 images per message: five.png was not attached.");
  await expect(tray.getByRole("img")).toHaveCount(4);

  // Removing one: gone from the tray; the rest renumbered.
  await page.getByRole("button", { name: "Remove image 4 (four.png)" }).click();
  await page.getByRole("button", { name: "Remove image 2 (photo.jpg)" }).click();
  await expect(tray.getByRole("img")).toHaveCount(2);
  await expect(tray.getByRole("img", { name: "Image 2: mock.webp" })).toBeVisible();
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);

  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((theme) => (document.documentElement.dataset.theme = theme), theme);
    await page.getByLabel("Describe a task").fill("Make greet trim the name, like the button in the picture");
    await page.locator("form").first().screenshot({ path: `reports/screenshots/composer-images-${theme}.png` });
  }
  await page.evaluate(() => (document.documentElement.dataset.theme = "light"));

  // Sent with the task; the model gets them as image input, in the order attached.
  await expect(page.getByRole("status", { name: /Uploading/ })).toHaveCount(0);
  await page.getByLabel("Describe a task").press("Control+Enter");
  await expect(tray).toHaveCount(0);
  const row = taskRow(page, "Make greet trim the name, like the button in the picture");
  await expect(row).toContainText("+1 −1", { timeout: 60_000 });

  const { requests } = (await (await fetch(`${FAKE_MODEL}/_fake/requests?last=50`)).json()) as { requests: { path: string; body: Record<string, unknown> }[] };
  const sent = requests.filter((r) => JSON.stringify(r.body).includes("like the button in the picture"));
  expect(sent.length).toBeGreaterThan(0);
  const images = JSON.stringify(sent[0].body).match(/data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+/g) ?? [];
  expect(images).toEqual([`data:image/png;base64,${png}`, `data:image/webp;base64,${webp}`]);
});
