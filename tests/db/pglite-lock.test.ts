import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseLockedError, openPglite } from "@/db/client";

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "patchbay-pglite-"));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("embedded PGlite", () => {
  it("migrates on open, keeps data across reopen, and releases its lock on close", async () => {
    const dir = tmp();
    const first = await openPglite(dir);
    await first.db.execute("insert into users (name) values ('Ada')");
    expect(fs.existsSync(path.join(dir, "patchbay.lock"))).toBe(true);
    await first.close();
    expect(fs.existsSync(path.join(dir, "patchbay.lock"))).toBe(false);

    const second = await openPglite(dir);
    const rows = await second.db.execute("select name from users");
    expect((rows as unknown as { rows: unknown[] }).rows).toEqual([{ name: "Ada" }]);
    await second.close();
  });

  it("refuses a folder another live process holds, with a clear error", async () => {
    const dir = tmp();
    const other = spawn("sleep", ["30"]);
    try {
      fs.writeFileSync(path.join(dir, "patchbay.lock"), String(other.pid));
      const opening = openPglite(dir);
      await expect(opening).rejects.toBeInstanceOf(DatabaseLockedError);
      await expect(opening).rejects.toThrow(/already open in process \d+.*DATABASE_URL/);
    } finally {
      other.kill();
    }
  });

  it("takes over the lock of a process that died", async () => {
    const dir = tmp();
    const dead = spawn("true");
    await new Promise((r) => dead.once("exit", r));
    fs.writeFileSync(path.join(dir, "patchbay.lock"), String(dead.pid));
    const handle = await openPglite(dir);
    expect(fs.readFileSync(path.join(dir, "patchbay.lock"), "utf8")).toBe(String(process.pid));
    await handle.close();
  });
});
