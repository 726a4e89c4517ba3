import os from "node:os";

/** Small statistics and formatting helpers shared by the benches. */

export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (s: number[]) => quantile(s, 0.5);

export const ms = (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(1) : Math.round(n)} ms` : "n/a");

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Wall-clock milliseconds with sub-ms precision, comparable across processes on one machine. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** The database kinds to bench: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const benchDbKinds: ("pglite" | "postgres")[] = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export async function timeRuns<T>(runs: number, fn: () => Promise<T>, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** The machine's load when a bench starts: figures taken under load (e.g. tests running alongside) are noisier. */
export function loadNote(): string {
  return `load average ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores`;
}
