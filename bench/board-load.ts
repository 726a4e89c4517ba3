/**
 * The board with 10,000 tasks: listTasks (lib/tasks/list.ts, what the board page and its API call) for page 1,
 * page 100 reached by walking cursors, a repo filter, a status filter, a search, the archive tab, and the repo
 * list for the filter. Median (and p90) of 20 runs each, after 2 warm-up runs.
 *
 * 10,000 tasks of one user (plus 2,000 of another user, so the owner filter matters), 5 repositories, statuses
 * mixed, ~10% archived, one attempt each, inserted in batches straight into `tasks` and `attempts`.
 *
 * Run: npx tsx --conditions=react-server bench/board-load.ts   (DATABASE_URL set: PostgreSQL too)
 */
import { attempts, tasks, users, type AttemptStatus, type TaskStatus } from "@/db/schema";
import { boardQuery, listTaskRepos, listTasks } from "@/lib/tasks/list";
import { openBenchDb, type BenchDb, setProcessDb } from "./lib/db";
import { benchDbKinds, loadNote, median, ms, quantile, timeRuns } from "./lib/stats";

const TASKS = 10_000;
const OTHER_USER_TASKS = 2_000;
const RUNS = 20;
const BATCH = 500;
const REPOS = ["acme/widgets", "acme/gadgets", "acme/api", "acme/web", "acme/infra"];
const STATUSES: TaskStatus[] = ["succeeded", "succeeded", "succeeded", "failed", "cancelled", "running", "queued", "succeeded"];
const WORDS = ["fix", "flaky", "test", "add", "retry", "logic", "refactor", "parser", "update", "docs", "speed", "cache", "handle", "errors", "in", "the", "login", "flow", "upgrade", "deps"];
const NEEDLE = "zebra-needle";

function attemptStatus(s: TaskStatus): AttemptStatus {
  return s === "running" ? "running" : s;
}

async function seed(db: BenchDb, ownerId: string, count: number, needleAt: number) {
  const start = Date.now() - count * 60_000;
  for (let from = 0; from < count; from += BATCH) {
    const rows = [];
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      const words = Array.from({ length: 6 }, (_, k) => WORDS[(i * 7 + k * 13) % WORDS.length]);
      const title = `${words.slice(0, 4).join(" ")} #${i}`;
      const status = STATUSES[i % STATUSES.length];
      const created = new Date(start + i * 60_000);
      rows.push({
        ownerId,
        repoFullName: REPOS[i % REPOS.length],
        baseBranch: "main",
        mode: (i % 3 === 0 ? "ask" : "code") as "ask" | "code",
        title,
        prompt: `${i === needleAt ? NEEDLE + " " : ""}${words.join(" ")}. Please ${words[1]} the ${words[5]} and keep the tests green. Task number ${i}.`,
        attemptsCount: 1,
        status,
        archived: i % 10 === 9,
        diffStats: status === "succeeded" ? { files: 1 + (i % 5), additions: i % 50, deletions: i % 20 } : null,
        finishedAt: ["succeeded", "failed", "cancelled"].includes(status) ? new Date(created.getTime() + 30_000) : null,
        createdAt: created,
        updatedAt: created,
      });
    }
    const inserted = await db.db.insert(tasks).values(rows).returning({ id: tasks.id, status: tasks.status });
    await db.db.insert(attempts).values(inserted.map((t) => ({ taskId: t.id, index: 0, status: attemptStatus(t.status) })));
  }
}

async function benchOn(kind: "pglite" | "postgres"): Promise<void> {
  const db = await openBenchDb(kind);
  setProcessDb(db);
  try {
    const [me, other] = await db.db.insert(users).values([{ name: "Bench" }, { name: "Other" }]).returning();
    const t0 = performance.now();
    await seed(db, me.id, TASKS, 4321);
    await seed(db, other.id, OTHER_USER_TASKS, -1);
    const seedMs = performance.now() - t0;
    if (kind === "postgres") await db.db.execute("analyze");

    const list = (q: Record<string, unknown>) => listTasks({ userId: me.id, query: boardQuery.parse(q) });

    // Walk to page 100 (30 a page) once, keeping the cursor of page 100.
    let cursor: string | undefined;
    const walkStart = performance.now();
    for (let page = 1; page < 100; page++) {
      const r = await list({ cursor });
      if (!r.nextCursor) throw new Error(`only ${page} pages`);
      cursor = r.nextCursor;
    }
    const walkMs = performance.now() - walkStart;
    const page100Cursor = cursor!;

    const cases: [string, () => Promise<unknown>][] = [
      ["page 1 (current tab, 30 rows)", () => list({})],
      ["page 100 (by its cursor)", () => list({ cursor: page100Cursor })],
      ["repo filter (acme/api), page 1", () => list({ repo: "acme/api" })],
      ["status filter (failed), page 1", () => list({ status: "failed" })],
      ["search q=\"flaky\" (common word), page 1", () => list({ q: "flaky" })],
      [`search q="${NEEDLE}" (1 match: full scan)`, () => list({ q: NEEDLE })],
      ["repo + status + search, page 1", () => list({ repo: "acme/web", status: "succeeded", q: "cache" })],
      ["archive tab, page 1", () => list({ tab: "archive" })],
      ["repo list for the filter (listTaskRepos)", () => listTaskRepos({ userId: me.id })],
    ];
    console.log(`board load on ${kind}: ${TASKS} tasks of one user (+${OTHER_USER_TASKS} of another), seeded in ${ms(seedMs)}; ${RUNS} runs each; ${loadNote()}`);
    for (const [label, fn] of cases) {
      const s = await timeRuns(RUNS, fn);
      console.log(`  ${label.padEnd(44)} median ${ms(median(s)).padStart(7)}   p90 ${ms(quantile(s, 0.9)).padStart(7)}`);
    }
    console.log(`  walking pages 1..99 with cursors (once, 99 calls)  ${ms(walkMs)} in all, ${ms(walkMs / 99)} a page`);
    const check = await list({ q: NEEDLE });
    if (check.tasks.length !== 1) console.log(`  (search for the needle found ${check.tasks.length} tasks, expected 1)`);
  } finally {
    await db.cleanup();
  }
}

for (const kind of benchDbKinds) await benchOn(kind);
