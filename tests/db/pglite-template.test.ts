import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { openPglite } from "@/db/client";
import { clusterTemplate, clusterTemplatePath, pgliteVersion } from "@/db/pglite-options";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** What a person would notice of a cluster: its databases, their encodings and locale, the catalog's size. */
async function shape(db: PGlite) {
  const dbs = await db.query("select datname, pg_encoding_to_char(encoding) as enc, datcollate, datctype from pg_database order by datname");
  const rels = await db.query<{ n: number }>("select count(*)::int as n from pg_class");
  const version = await db.query<{ v: string }>("select version() as v");
  return { dbs: dbs.rows, rels: rels.rows[0].n, version: version.rows[0].v };
}

describe("the PGlite cluster template", () => {
  it("exists for the installed PGlite (npm install makes it; `npm run db:template` again)", () => {
    expect(fs.existsSync(clusterTemplatePath()), `missing ${clusterTemplatePath()} for PGlite ${pgliteVersion()}`).toBe(true);
  });

  it("is the cluster initdb makes", async () => {
    const fromTemplate = new PGlite({ loadDataDir: new Blob([new Uint8Array(clusterTemplate()!)]) });
    const fromInitdb = new PGlite();
    try {
      expect(await shape(fromTemplate)).toEqual(await shape(fromInitdb));
    } finally {
      await Promise.all([fromTemplate.close(), fromInitdb.close()]);
    }
  });

  it("a new data folder starts from it, keeps its data across restarts, and runs with the small buffer pool", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-pglite-"));
    dirs.push(dir);
    const first = await openPglite(dir);
    await first.db.execute("create table kept (x int)");
    await first.db.execute("insert into kept values (42)");
    await first.close();
    const again = await openPglite(dir);
    const rows = (await again.db.execute("select x from kept")) as unknown as { rows: { x: number }[] };
    expect(rows.rows).toEqual([{ x: 42 }]);
    const buffers = (await again.db.execute("show shared_buffers")) as unknown as { rows: { shared_buffers: string }[] };
    expect(buffers.rows[0].shared_buffers).toBe("16MB");
    await again.close();
  });
});
