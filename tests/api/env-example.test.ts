import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

it(".env.example lists every variable lib/env.ts reads (NODE_ENV aside: the tools set it)", () => {
  const source = fs.readFileSync(path.join(root, "lib/env.ts"), "utf8");
  const read = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]).filter((k) => k !== "NODE_ENV");
  const example = fs.readFileSync(path.join(root, ".env.example"), "utf8");
  const listed = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  expect(read.length).toBeGreaterThan(20);
  expect(read.filter((k) => !listed.has(k))).toEqual([]);
  expect([...listed].filter((k) => !read.includes(k))).toEqual([]);
});
