// Builds harness.tsx with esbuild and Tailwind, opens it in Chromium, takes screenshots and prints timings.
//   npx tsx e2e/components-harness/run.ts [outDir]
// Not a Playwright spec on purpose (the e2e suite needs the whole app); nothing here is part of the product.
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import postcss from "postcss";
import tailwind from "@tailwindcss/postcss";
import { chromium, type Page } from "@playwright/test";

const here = import.meta.dirname;
const root = path.resolve(here, "../..");
const out = path.resolve(process.argv[2] ?? "/tmp/patchbay-components-harness");

async function bundle() {
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [path.join(here, "harness.tsx")],
    bundle: true,
    outfile: path.join(out, "harness.js"),
    format: "iife",
    jsx: "automatic",
    minify: true,
    alias: { "@": root },
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  });
  const cssIn = path.join(here, "harness.css");
  const css = await postcss([tailwind({ base: root }) as unknown as postcss.AcceptedPlugin]).process(await readFile(cssIn, "utf8"), { from: cssIn });
  await writeFile(path.join(out, "harness.css"), css.css);
  await writeFile(
    path.join(out, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><link rel="stylesheet" href="harness.css"></head><body><div id="root"></div><script src="harness.js" defer></script></body></html>`,
  );
}

async function main() {
  await bundle();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const url = (q: string) => `file://${out}/index.html?${q}`;

  // 1. Overview, light and dark.
  for (const theme of ["light", "dark"]) {
    await page.goto(url(`theme=${theme}&lines=300&diff=600`));
    await page.waitForSelector('[data-testid="log"]:not([data-ready="-1"])');
    await page.screenshot({ path: path.join(out, `overview-${theme}.png`), fullPage: true });
  }
  // Citations: a chunk citation scrolls the log and highlights lines; a file citation scrolls the diff.
  await page.getByRole("button", { name: /Open log chunk c3, lines 10–12/ }).click();
  await page.waitForSelector('[data-line-of="c3"][data-line="10"][data-highlighted]');
  await page.getByRole("button", { name: /Open src\/greet.js, lines 1–3/ }).click();
  await page.waitForSelector('[data-diff-file="src/greet.js"] [data-new-line="2"][data-highlighted]');
  await page.screenshot({ path: path.join(out, "citations-dark.png") });
  await page.getByRole("button", { name: "Split" }).click();
  await page.screenshot({ path: path.join(out, "split-dark.png") });

  // 2. Narrow pane.
  await page.setViewportSize({ width: 640, height: 900 });
  await page.goto(url("lines=200&diff=400"));
  await page.waitForSelector('[data-testid="log"]:not([data-ready="-1"])');
  await page.screenshot({ path: path.join(out, "narrow-light.png"), fullPage: true });

  // 3. A 10,000-line diff.
  await page.setViewportSize({ width: 1400, height: 1000 });
  const diffTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    await page.goto(url("what=diff&diff=10000"));
    await page.waitForSelector('[data-testid="diff-line"]');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    diffTimes.push(Date.now() - started);
  }
  const diffRows = await page.locator('[data-testid="diff-line"]').count();
  const elementsAtFirst = await page.evaluate(() => document.querySelectorAll("*").length);
  // Load the 900-row file too and time it (files are rendered near the screen: scroll down to it first).
  for (let i = 0; i < 200 && !(await page.getByRole("button", { name: "Load diff" }).count()); i++) await page.mouse.wheel(0, 1500);
  const loadStarted = Date.now();
  await page.getByRole("button", { name: "Load diff" }).first().click();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const loadMs = Date.now() - loadStarted;
  const expandStarted = Date.now();
  await page.getByRole("button", { name: "Collapse all" }).click();
  await page.getByRole("button", { name: "Expand all" }).click();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const expandMs = Date.now() - expandStarted;
  console.log(`10,000-line diff: page load to first rows painted ${diffTimes.join(", ")} ms; ${diffRows} rows in the DOM at first (${elementsAtFirst} elements); Load diff (900 rows) ${loadMs} ms; collapse+expand all ${expandMs} ms`);

  // 4. 100,000 log lines streamed live.
  const logStarted = Date.now();
  await page.goto(url("what=log&lines=100000"));
  await page.waitForSelector('[data-testid="log"]:not([data-ready="-1"])', { timeout: 120_000 });
  const streamMs = Date.now() - logStarted;
  const rendered = await page.locator('[data-testid="log-line"]').count();
  const atBottom = await page.evaluate(() => {
    const el = document.querySelector('[role="log"]')!;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 50;
  });
  const lastLine = await page.locator('[data-testid="log-line"]').last().getAttribute("data-line");
  const frame = await measureScroll(page);
  await page.locator('[role="log"]').hover();
  await page.mouse.wheel(0, -3000);
  await page.waitForSelector("text=Jump to latest");
  await page.screenshot({ path: path.join(out, "log-100k.png") });
  await page.getByRole("button", { name: "Jump to latest" }).click();
  await page.waitForFunction(() => !document.body.innerText.includes("Jump to latest"));
  console.log(
    `100,000 log lines: streamed in ${streamMs} ms (40 ticks/s feed), ${rendered} line rows in the DOM, followed to the bottom: ${atBottom} (last row L${lastLine}); scroll frames: ${frame}`,
  );

  console.log(errors.length ? `page errors:\n${errors.join("\n")}` : "no page errors");
  console.log(`screenshots in ${out}`);
  await browser.close();
}

async function measureScroll(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const el = document.querySelector('[role="log"]')!;
    const times: number[] = [];
    let last = performance.now();
    for (let i = 0; i < 60; i++) {
      el.scrollTop = Math.random() * el.scrollHeight;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    times.sort((a, b) => a - b);
    return `median ${times[30].toFixed(1)} ms, p95 ${times[57].toFixed(1)} ms over 60 random jumps`;
  });
}

await main();
