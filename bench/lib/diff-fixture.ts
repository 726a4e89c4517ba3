/**
 * Synthetic `git diff` text for the diff bench and the large-diff e2e spec: `files` files of `linesPerFile` diff
 * lines each (hunks of 25 removed + 25 added lines between 4 context lines), and optionally one huge file at the end.
 */
export type DiffShape = { label?: string; files: number; linesPerFile: number; hugeFileLines?: number };

export type MadeDiff = { text: string; files: number; lines: number; paths: string[] };

export function makeDiff({ files, linesPerFile, hugeFileLines = 0 }: DiffShape): MadeDiff {
  const out: string[] = [];
  const paths: string[] = [];
  let lines = 0;
  const file = (p: string, count: number) => {
    paths.push(p);
    out.push(`diff --git a/${p} b/${p}`, `index 1111111..2222222 100644`, `--- a/${p}`, `+++ b/${p}`);
    let oldLine = 1;
    let newLine = 1;
    let left = count;
    for (let h = 0; left > 0; h++) {
      const size = Math.min(54, left);
      const changed = Math.max(0, size - 4);
      const dels = Math.floor(changed / 2);
      const adds = changed - dels;
      const ctx = size - changed;
      const before = Math.ceil(ctx / 2);
      out.push(`@@ -${oldLine},${dels + ctx} +${newLine},${adds + ctx} @@ function block${h}() {`);
      for (let i = 0; i < before; i++) out.push(`   const a${h}_${i} = compute(${h}, ${i});`);
      for (let i = 0; i < dels; i++) out.push(`-  const value${i} = legacyLookup(table, "key-${h}-${i}", { retries: ${i % 4} });`);
      for (let i = 0; i < adds; i++) out.push(`+  const value${i} = await lookup(table, \`key-${h}-${i}\`, { retries: ${i % 4}, timeoutMs: 500 });`);
      for (let i = before; i < ctx; i++) out.push(`   return a${h}_0;`);
      lines += size;
      left -= size;
      oldLine += dels + ctx + 40;
      newLine += adds + ctx + 40;
    }
  };
  for (let f = 0; f < files; f++) file(`src/module-${String(Math.floor(f / 50)).padStart(3, "0")}/file-${String(f).padStart(5, "0")}.ts`, linesPerFile);
  if (hugeFileLines > 0) file("src/generated/huge-table.ts", hugeFileLines);
  return { text: out.join("\n") + "\n", files: paths.length, lines, paths };
}

/** The shapes the bench measures: an anchor a person reviews every day, and 50,000 lines two ways. */
export const DIFF_SHAPES: DiffShape[] = [
  { label: "anchor: 500 lines, 5 files", files: 5, linesPerFile: 100 },
  { label: "50,000 lines: 400 files x 100 + one of 10,000", files: 400, linesPerFile: 100, hugeFileLines: 10_000 },
  { label: "50,000 lines: 5,000 files x 10", files: 5_000, linesPerFile: 10 },
];
