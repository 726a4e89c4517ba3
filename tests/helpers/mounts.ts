import { execFileSync } from "node:child_process";
import fs from "node:fs";

/** Mount points under `dir` (from /proc/mounts; octal escapes of spaces decoded). */
export function mountsUnder(dir: string): string[] {
  const text = fs.readFileSync("/proc/mounts", "utf8");
  return text
    .split("\n")
    .map((line) => line.split(" ")[1])
    .filter((m): m is string => Boolean(m))
    .map((m) => m.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Detaches whatever a killed runner left mounted under `dir`, so the test can remove its folder. */
export function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir).reverse()) {
    try {
      execFileSync("umount", ["-l", m], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
}
