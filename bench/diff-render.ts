/**
 * A large diff on the real task page (issue 10: headers < 0.5 s, DOM bounded whatever the size), side by side with
 * a 500-line anchor, in one run.
 *
 * Starts the e2e stack (scripts/stack.ts --mode e2e: `next start` of the production build, fake GitHub and fake
 * model) on port BENCH_DIFF_PORT (3400), signs in through the fake GitHub, runs one Code task (the fake model's
 * one-line change), then opens that task's page in Chromium once per shape and run. The page is the app's own
 * (its layout, where the window scrolls); only the attempt's diff answer (GET /api/tasks/<id>/attempts/<id>/diff)
 * is replaced, through Playwright's routing, by a synthetic diff of the shape measured (bench/lib/diff-fixture.ts).
 * Per shape (median of BENCH_DIFF_RUNS, 3):
 *   - navigation -> the first screen of file headers painted, and the same counted from the diff's answer's end;
 *   - file headers and elements in the DOM then (document.querySelectorAll('*').length);
 *   - the most elements seen while scrolling the page from top to bottom (60 stops);
 *   - a click on the last entry of the file list -> that file's header painted on screen;
 *   - for a file behind "Load diff": the click -> its first rows painted, and the most elements while scrolling it.
 *
 * Needs a production build (`npx next build`); one Playwright / build at a time on this machine:
 *   flock /tmp/playwright.lock sh -c 'npx next build && npx tsx bench/diff-render.ts'
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { DIFF_SHAPES, makeDiff, type DiffShape } from "./lib/diff-fixture";
import { loadNote, median, ms } from "./lib/stats";

const RUNS = Number(process.env.BENCH_DIFF_RUNS ?? 3);
const PORT = Number(process.env.BENCH_DIFF_PORT ?? 3400);
const APP = `http://127.0.0.1:${PORT}`;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function waitForHealth(deadline: number) {
  while (Date.now() < deadline) {
    const ok = await fetch(`${APP}/api/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the stack did not answer on ${APP}/api/health`);
}

/** Signs in as alice and runs one Code task to its end; returns the task page's URL. */
async function taskWithADiff(context: BrowserContext): Promise<string> {
  const page = await context.newPage();
  await page.goto(`${APP}/`);
  await page.getByRole("button", { name: "Sign in with GitHub" }).click();
  await page.getByLabel("Username").fill("alice");
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.getByRole("heading", { name: "What should we code next?" }).waitFor();
  await page.getByRole("button", { name: /Choose a repository|Repository:/ }).click();
  await page.getByLabel("Search repositories").fill("acme/widgets");
  await page.getByRole("listbox", { name: "Repositories" }).getByRole("option", { name: "acme/widgets" }).click();
  await page.getByLabel("Describe a task").fill("Make greet trim the name");
  await page.getByLabel("Describe a task").press("Control+Enter");
  const row = page.getByTestId("task-row").filter({ hasText: "Make greet trim the name" }).first();
  await row.filter({ hasText: "+1 −1" }).waitFor({ timeout: 90_000 });
  await row.getByRole("link").click();
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  const url = page.url();
  await page.close();
  return url;
}

type Run = {
  headersAt: number;
  ttfb: number;
  domReady: number;
  diffAsked: number;
  diffAnswered: number;
  afterDiff: number;
  headers: number;
  elements: number;
  maxScrolling: number;
  jumpLast: number;
  loadDiff: number | null;
  maxInHuge: number | null;
};

/** Page side: set before any script of the page runs; notes when the first file header is first painted. */
function watchHeaders() {
  const w = window as unknown as { __headersAt?: number };
  const poll = () => {
    if (document.querySelector("[data-diff-file]")) setTimeout(() => (w.__headersAt = performance.now()), 0);
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}

const paint = (page: Page) => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0))));
const elements = (page: Page) => page.evaluate(() => document.querySelectorAll("*").length);

async function measure(context: BrowserContext, taskUrl: string, diff: string, lastPath: string): Promise<Run> {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  page.on("pageerror", (err) => console.log(`  page error: ${err.message}`));
  await page.route(/\/api\/tasks\/[^/]+\/attempts\/[^/]+\/diff$/, (route) => route.fulfill({ status: 200, contentType: "text/plain; charset=utf-8", body: diff }));
  // tsx compiles this file keeping function names (`__name(fn, "name")`): give the page that helper too.
  await page.addInitScript("globalThis.__name = (fn) => fn;");
  await page.addInitScript(watchHeaders);
  await page.goto(taskUrl);
  await page.waitForFunction(() => (window as unknown as { __headersAt?: number }).__headersAt !== undefined, null, { timeout: 30_000 });
  const first = await page.evaluate(() => {
    const diffEntry = performance.getEntriesByType("resource").find((e) => /\/attempts\/[^/]+\/diff$/.test(e.name)) as PerformanceResourceTiming | undefined;
    const headersAt = (window as unknown as { __headersAt: number }).__headersAt;
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    return {
      headersAt,
      afterDiff: headersAt - (diffEntry?.responseEnd ?? 0),
      headers: document.querySelectorAll("[data-diff-file]").length,
      ttfb: nav?.responseStart ?? Number.NaN,
      domReady: nav?.domContentLoadedEventEnd ?? Number.NaN,
      diffAsked: diffEntry?.startTime ?? Number.NaN,
      diffAnswered: diffEntry?.responseEnd ?? Number.NaN,
    };
  });
  await paint(page);
  const atFirst = await elements(page);

  // Scroll the page from top to bottom, 60 stops, counting elements at each.
  let maxScrolling = atFirst;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let i = 1; i <= 60; i++) {
    await page.evaluate((y) => window.scrollTo(0, y), (height * i) / 60);
    await paint(page);
    maxScrolling = Math.max(maxScrolling, await elements(page));
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await paint(page);

  // The file list's last entry -> that file's header on screen.
  const jumpLast = await page.evaluate(async (last) => {
    const frame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const ul = document.querySelector('nav[aria-label="Changed files"] ul')!;
    ul.scrollTo({ top: ul.scrollHeight });
    let button: HTMLButtonElement | undefined;
    while (!(button = Array.from(ul.querySelectorAll("button")).find((b) => b.textContent?.includes(last)))) await frame();
    const t0 = performance.now();
    button.click();
    const onScreen = () => {
      const h = document.querySelector(`[data-diff-file="${last}"] header`);
      const r = h?.getBoundingClientRect();
      return !!r && r.top >= 0 && r.bottom <= window.innerHeight;
    };
    while (!onScreen()) await frame();
    await frame();
    return performance.now() - t0;
  }, lastPath);

  // Behind "Load diff": open it, then scroll through it.
  let loadDiff: number | null = null;
  let maxInHuge: number | null = null;
  if (await page.locator(`[data-diff-file="${lastPath}"]`).getByRole("button", { name: "Load diff" }).count()) {
    loadDiff = await page.evaluate(async (last) => {
      const frame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const section = document.querySelector(`[data-diff-file="${last}"]`)!;
      const t0 = performance.now();
      Array.from(section.querySelectorAll("button")).find((b) => b.textContent?.trim() === "Load diff")!.click();
      while (!document.querySelector(`[data-diff-file="${last}"] [data-testid="diff-line"]`)) await frame();
      await frame();
      return performance.now() - t0;
    }, lastPath);
    maxInHuge = await elements(page);
    const top = await page.evaluate(() => window.scrollY);
    const bottom = await page.evaluate(() => document.documentElement.scrollHeight);
    for (let i = 1; i <= 30; i++) {
      await page.evaluate((y) => window.scrollTo(0, y), top + ((bottom - top) * i) / 30);
      await paint(page);
      maxInHuge = Math.max(maxInHuge, await elements(page));
    }
  }
  await page.close();
  return { ...first, elements: atFirst, maxScrolling, jumpLast, loadDiff, maxInHuge };
}

async function main() {
  if (!fs.existsSync(path.join(repoRoot, ".next", "BUILD_ID"))) {
    console.log("diff render: no production build; run `npx next build` first (see the header of bench/diff-render.ts)");
    process.exitCode = 1;
    return;
  }
  const stack = spawn(process.execPath, [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/stack.ts", "--mode", "e2e", "--port", String(PORT)], {
    cwd: repoRoot,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // What the stack says on stderr, shown only if it does not come up.
  let stackErr = "";
  stack.stderr?.on("data", (b: Buffer) => (stackErr = (stackErr + b.toString()).slice(-4_000)));
  let browser: Browser | undefined;
  try {
    await waitForHealth(Date.now() + 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${stackErr}`);
    });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
    const context = await browser.newContext();
    const taskUrl = await taskWithADiff(context);
    console.log(`diff on the task page (next start, the app's layout, window scrolling; Chromium 1440x900; median of ${RUNS}; ${loadNote()})`);
    const rows: [string, string, string, string, string, string, string, string][] = [];
    const breakdowns: string[] = [];
    for (const shape of DIFF_SHAPES as DiffShape[]) {
      const made = makeDiff(shape);
      const runs: Run[] = [];
      await measure(context, taskUrl, made.text, made.paths.at(-1)!); // warm-up: the page's code in the cache
      for (let i = 0; i < RUNS; i++) runs.push(await measure(context, taskUrl, made.text, made.paths.at(-1)!));
      const m = (k: keyof Run) => median(runs.map((r) => r[k] ?? Number.NaN));
      const n = (k: keyof Run) => (Number.isFinite(m(k)) ? Math.round(m(k)).toLocaleString("en-US") : "-");
      breakdowns.push(`${(["ttfb", "domReady", "diffAsked", "diffAnswered", "headersAt"] as const).map((k) => Math.round(m(k))).join(" / ")}  ${shape.label ?? ""}`);
      rows.push([
        `${shape.label ?? ""} (${(made.text.length / 1024 / 1024).toFixed(1)} MB)`,
        ms(m("headersAt")),
        ms(m("afterDiff")),
        `${n("headers")} / ${n("elements")}`,
        n("maxScrolling"),
        ms(m("jumpLast")),
        Number.isFinite(m("loadDiff")) ? ms(m("loadDiff")) : "-",
        n("maxInHuge"),
      ]);
    }
    const head = ["shape", "nav -> headers painted", "diff answer -> headers", "headers / elements then", "max elements scrolling", "file list: last file -> on screen", "Load diff -> rows", "max elements in it"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    console.log("  where the time to the headers goes (ms from navigation): page's first byte / DOM ready / diff asked / diff answered / headers painted");
    for (const b of breakdowns) console.log(`    ${b}`);
  } finally {
    await browser?.close();
    // The stack stops the app and removes its data folder.
    if (stack.pid) process.kill(stack.pid, "SIGTERM");
    await new Promise((r) => stack.once("exit", r));
  }
}

await main();
