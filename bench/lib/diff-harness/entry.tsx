// Page-side harness for bench/diff-render.ts: mounts the app's DiffView and reports timings. Bundled by esbuild.
import { flushSync } from "react-dom";
import { createRoot, type Root } from "react-dom/client";
import { DiffView } from "@/components/diff";

type Mode = "unified" | "split";

/** Resolves after the browser painted the current DOM (a frame, then a task after it). */
const nextPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

let root: Root | null = null;

async function mount(diff: string, view: Mode) {
  const host = document.getElementById("root")!;
  const t0 = performance.now();
  root = createRoot(host);
  flushSync(() => root!.render(<DiffView diff={diff} view={view} />));
  const committed = performance.now() - t0;
  await nextPaint();
  const painted = performance.now() - t0;
  // Bodies of open files render once an IntersectionObserver says they are near the screen (after a paint).
  const firstOpen = document.querySelector<HTMLElement>("[data-diff-file]");
  const hasRowsOrCollapsed = () =>
    !firstOpen || !!firstOpen.querySelector('[data-testid="diff-line"]') || firstOpen.querySelector("button[aria-expanded]")?.getAttribute("aria-expanded") === "false";
  const deadline = performance.now() + 5_000;
  while (!hasRowsOrCollapsed() && performance.now() < deadline) await nextPaint();
  const firstRows = performance.now() - t0;
  return {
    committed,
    painted,
    firstRows,
    headers: document.querySelectorAll("[data-diff-file]").length,
    rows: document.querySelectorAll('[data-testid="diff-line"]').length,
    nodes: document.getElementsByTagName("*").length,
  };
}

/**
 * Opens every file (the "Load diff" button of large files, which start collapsed) and scrolls each file into view
 * (bodies render when near the screen) until every row of the diff is in the DOM.
 */
async function expandAll(expectedRows: number) {
  const t0 = performance.now();
  for (const b of Array.from(document.querySelectorAll("button"))) if (b.textContent?.trim() === "Load diff") b.click();
  await nextPaint();
  const opened = performance.now() - t0;
  const sections = Array.from(document.querySelectorAll<HTMLElement>("[data-diff-file]"));
  const hasRows = (s: HTMLElement) => !!s.querySelector('[data-testid="diff-line"]');
  // Jump to the last file, as a person clicking it in the file list would.
  const tJump = performance.now();
  const last = sections.at(-1)!;
  last.scrollIntoView({ block: "start" });
  await nextPaint();
  while (!hasRows(last) && performance.now() - tJump < 10_000) await nextPaint();
  const jumpLast = performance.now() - tJump;
  const tWalk = performance.now();
  for (const s of sections) {
    s.scrollIntoView({ block: "start" });
    const deadline = performance.now() + 10_000;
    while (!s.querySelector('[data-testid="diff-line"]') && performance.now() < deadline) await nextPaint();
  }
  const scroller = sections[0]?.closest(".overflow-y-auto") ?? document.scrollingElement;
  scroller?.scrollTo({ top: 0 });
  await nextPaint();
  const rows = document.querySelectorAll('[data-testid="diff-line"]').length;
  const walk = performance.now() - tWalk;
  return { opened, jumpLast, walk, all: performance.now() - t0, rows, complete: rows >= expectedRows, nodes: document.getElementsByTagName("*").length };
}

/** Switches the mounted view (the toggle's button) and waits for the paint. */
async function switchView(to: Mode) {
  const t0 = performance.now();
  const button = Array.from(document.querySelectorAll<HTMLButtonElement>('[aria-label="Diff layout"] button')).find(
    (b) => b.textContent?.trim().toLowerCase() === to,
  );
  flushSync(() => button?.click());
  await nextPaint();
  return { painted: performance.now() - t0, rows: document.querySelectorAll('[data-testid="diff-line"]').length };
}

Object.assign(window, { bench: { mount, expandAll, switchView } });
