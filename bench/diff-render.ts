/**
 * Time to render a 10,000-line diff in Chromium with the app's DiffView (components/diff).
 *
 * A throwaway page: esbuild bundles bench/lib/diff-harness/entry.tsx (React production build, `@/` = repo root)
 * with the app's CSS compiled by Tailwind, served by node:http, opened in /usr/bin/chromium via Playwright.
 * Per run, a fresh page:
 *   - mount: createRoot + render, to the first paint with every file header present;
 *   - expand all: open every collapsed file ("Load diff") and scroll each into view until all 10,000 rows are in
 *     the DOM (files render lazily, near the screen);
 *   - switch to split view with everything expanded.
 * Two shapes: 20 files x 500 changed lines (large files start collapsed) and 100 files x 100 lines (open, lazy).
 * 5 runs each, medians.
 *
 * Run: npx tsx --conditions=react-server bench/diff-render.ts
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";
import { build } from "esbuild";
import { loadNote, median, ms } from "./lib/stats";

const RUNS = Number(process.env.BENCH_DIFF_RUNS ?? 5);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, "..");

/**
 * A `git diff` of `files` files, each with hunks of 25 removed + 25 added lines between 4 context lines.
 * `rows` counts diff lines (the component's `[data-testid="diff-line"]` rows), not hunk headers.
 */
function makeDiff(files: number, changedPerFile: number): { diff: string; changed: number; rows: number } {
  const out: string[] = [];
  let changed = 0;
  let rows = 0;
  const hunks = Math.max(1, changedPerFile / 50);
  for (let f = 0; f < files; f++) {
    const p = `src/module-${String(f).padStart(3, "0")}/file-${f}.ts`;
    out.push(`diff --git a/${p} b/${p}`, `index 1111111..2222222 100644`, `--- a/${p}`, `+++ b/${p}`);
    let oldLine = 1;
    let newLine = 1;
    for (let h = 0; h < hunks; h++) {
      const dels = 25;
      const adds = Math.min(25, changedPerFile - h * 50 - dels);
      out.push(`@@ -${oldLine},${dels + 4} +${newLine},${adds + 4} @@ function block${h}() {`);
      out.push(`   const a${h} = compute(${h});`, `   if (!a${h}) return null;`);
      for (let i = 0; i < dels; i++) out.push(`-  const value${i} = legacyLookup(table, "key-${f}-${h}-${i}", { retries: ${i % 4} });`);
      for (let i = 0; i < adds; i++) out.push(`+  const value${i} = await lookup(table, \`key-${f}-${h}-${i}\`, { retries: ${i % 4}, timeoutMs: 500 });`);
      out.push(`   return a${h};`, ` }`);
      rows += 4 + dels + adds;
      changed += dels + adds;
      oldLine += dels + 40;
      newLine += adds + 40;
    }
  }
  return { diff: out.join("\n") + "\n", changed, rows };
}

async function compileCss(): Promise<string> {
  try {
    const postcss = (await import("postcss")).default;
    const tailwind = (await import("@tailwindcss/postcss")).default;
    const from = path.join(repoRoot, "app", "globals.css");
    const plugin = tailwind({ base: repoRoot }) as unknown as import("postcss").AcceptedPlugin;
    const result = await postcss([plugin]).process(fs.readFileSync(from, "utf8"), { from });
    return result.css;
  } catch (err) {
    console.log(`  (could not compile the app's CSS, rendering unstyled: ${(err as Error).message})`);
    return "";
  }
}

async function buildHarness(dir: string): Promise<void> {
  await build({
    entryPoints: [path.join(benchDir, "lib", "diff-harness", "entry.tsx")],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    outfile: path.join(dir, "bundle.js"),
    alias: { "@": repoRoot },
    define: { "process.env.NODE_ENV": '"production"' },
    jsx: "automatic",
    logLevel: "error",
  });
  fs.writeFileSync(path.join(dir, "bundle.css"), await compileCss());
  fs.writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/bundle.css"></head>` +
      `<body class="bg-bg text-fg"><div id="root" style="height:100vh;padding:16px;box-sizing:border-box"></div>` +
      `<script type="module" src="/bundle.js"></script></body></html>`,
  );
}

function serveDir(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
  const server = http.createServer((req, res) => {
    const name = req.url === "/" ? "index.html" : path.basename(req.url ?? "");
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": types[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

type MountResult = { committed: number; painted: number; firstRows: number; headers: number; rows: number; nodes: number };
type ExpandResult = { opened: number; jumpLast: number; walk: number; all: number; rows: number; complete: boolean; nodes: number };

async function main() {
  if (!fs.existsSync(path.join(repoRoot, "components", "diff", "index.ts"))) {
    console.log("diff render: components/diff is not there yet; nothing to measure");
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-bench-diff-"));
  const t = performance.now();
  await buildHarness(dir);
  const buildMs = performance.now() - t;
  const server = await serveDir(dir);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  try {
    console.log(`diff render in Chromium (DiffView from components/diff, React production build; harness built in ${ms(buildMs)}; ${RUNS} runs, fresh page each; ${loadNote()})`);
    for (const [files, perFile] of [
      [20, 500],
      [100, 100],
    ]) {
      const { diff, changed, rows } = makeDiff(files, perFile);
      const mounts: MountResult[] = [];
      const expands: ExpandResult[] = [];
      const splits: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        page.on("pageerror", (err) => console.log(`  page error: ${err.message}`));
        await page.goto(server.url);
        await page.waitForFunction(() => "bench" in window);
        mounts.push(await page.evaluate(([d]) => (window as unknown as { bench: { mount(d: string, v: string): Promise<MountResult> } }).bench.mount(d, "unified"), [diff]));
        expands.push(await page.evaluate((n) => (window as unknown as { bench: { expandAll(n: number): Promise<ExpandResult> } }).bench.expandAll(n), rows));
        splits.push((await page.evaluate(() => (window as unknown as { bench: { switchView(v: string): Promise<{ painted: number }> } }).bench.switchView("split"))).painted);
        await page.close();
      }
      const m = (k: keyof MountResult) => median(mounts.map((r) => r[k] as number));
      const e = (k: keyof ExpandResult) => median(expands.map((r) => r[k] as number));
      console.log(`  ${files} files x ${perFile} changed lines (${changed} changed lines, ${rows} rows, ${(diff.length / 1024).toFixed(0)} KB of diff text):`);
      console.log(`    mount -> first paint, all ${m("headers")} file headers present  median ${ms(m("painted"))}  (React commit ${ms(m("committed"))}; ${m("rows")} rows in the DOM, ${m("nodes")} elements)`);
      console.log(`    first file's rows painted (or it shows "Load diff")   median ${ms(m("firstRows"))}`);
      console.log(`    open every collapsed file ("Load diff") -> paint      median ${ms(e("opened"))}`);
      console.log(`    then jump to the last file -> its rows painted        median ${ms(e("jumpLast"))}`);
      console.log(`    then scroll file by file until every row is rendered  median ${ms(e("walk"))}  (>= 1 frame a file)`);
      console.log(`    expand everything, in all                             median ${ms(e("all"))}  (${e("rows")} rows, ${e("nodes")} elements${expands.every((r) => r.complete) ? "" : "; NOT all rows rendered"})`);
      console.log(`    switch to split view, everything expanded             median ${ms(median(splits))}`);
    }
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
