import "server-only";

/**
 * Environment of git inside the sandboxed steps over a checkout (snapshot, restore): no system or global config,
 * hooks and fsmonitor off, no submodule recursion, no prompts. The repository config those steps use is one git
 * itself just made in the sandbox's /tmp, or the checkout's git dir (written by Patchbay, read-only in every sandbox).
 */
export const SANDBOX_GIT_ENV: Record<string, string> = (() => {
  const config: Record<string, string> = {
    "core.hooksPath": "/dev/null",
    "core.fsmonitor": "false",
    "core.untrackedCache": "false",
    "core.quotePath": "false",
    "safe.directory": "*",
    "gc.auto": "0",
    "submodule.recurse": "false",
    "diff.ignoreSubmodules": "all",
    "user.name": "Patchbay",
    "user.email": "snapshot@patchbay.invalid",
  };
  const entries = Object.entries(config);
  return {
    HOME: "/tmp/home",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_COUNT: String(entries.length),
    ...Object.fromEntries(entries.flatMap(([k, v], i) => [[`GIT_CONFIG_KEY_${i}`, k], [`GIT_CONFIG_VALUE_${i}`, v]])),
  };
})();

