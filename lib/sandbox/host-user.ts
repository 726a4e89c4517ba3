import "server-only";

import fs from "node:fs/promises";
import path from "node:path";
import { SandboxError } from "./errors";
import { hostToolEnv } from "./bwrap-args";
import { runHostCommand, runHostCommandOk } from "./host-command";

export const SANDBOX_HOST_USER = "patchbay-sandbox";

export type HostUser = { uid: number; gid: number };

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function currentUser(): HostUser {
  if (typeof process.getuid !== "function" || typeof process.getgid !== "function") {
    throw new SandboxError("the bubblewrap sandbox needs Linux");
  }
  return { uid: process.getuid(), gid: process.getgid() };
}

async function lookupUser(name: string): Promise<HostUser | null> {
  try {
    const result = await runHostCommand("getent", ["passwd", name], { env: hostToolEnv(), timeoutMs: 10_000 });
    if (result.code !== 0) return null; // getent exits 2 when the user does not exist
    const fields = result.stdout.trim().split(":");
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(gid)) return null;
    return { uid, gid };
  } catch {
    return null; // getent exits 2 when the user does not exist
  }
}

let ensured: Promise<HostUser> | null = null;

/**
 * The unprivileged host user sandboxes run as. As root: the dedicated system user `patchbay-sandbox`, created on
 * first use (`useradd --system --no-create-home --shell /usr/sbin/nologin`), never uid 0. Otherwise: the current user
 * (bwrap then runs as it directly). The runner must chown each checkout to this user (or, in Ask mode, make it
 * readable by it) and keep its ancestors traversable.
 */
export function ensureSandboxUser(): Promise<HostUser> {
  if (!isRoot()) return Promise.resolve(currentUser());
  ensured ??= (async () => {
    let user = await lookupUser(SANDBOX_HOST_USER);
    if (!user) {
      try {
        await runHostCommandOk(
          "useradd",
          ["--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", SANDBOX_HOST_USER],
          { env: hostToolEnv(), timeoutMs: 30_000 },
        );
      } catch (error) {
        // A concurrent process may have created it (useradd exit 9); the lookup below decides.
        user = await lookupUser(SANDBOX_HOST_USER);
        if (!user) throw new SandboxError(`could not create the host user ${SANDBOX_HOST_USER}`, { cause: error });
      }
      user ??= await lookupUser(SANDBOX_HOST_USER);
    }
    if (!user) throw new SandboxError(`host user ${SANDBOX_HOST_USER} not found after useradd`);
    if (user.uid === 0 || user.gid === 0) throw new SandboxError(`host user ${SANDBOX_HOST_USER} must not be uid/gid 0`);
    return user;
  })();
  ensured.catch(() => {
    ensured = null; // retry on the next call
  });
  return ensured;
}

/**
 * The host user to drop to before bwrap, or null to run bwrap as the current (non-root) user.
 * Refuses to run as root and refuses a hostUser it cannot switch to.
 */
export async function resolveHostUser(requested: HostUser | undefined): Promise<HostUser | null> {
  if (isRoot()) {
    const user = requested ?? (await ensureSandboxUser());
    if (user.uid === 0 || user.gid === 0) throw new SandboxError("refusing to run a sandbox as host uid/gid 0");
    return user;
  }
  const me = currentUser();
  if (requested && (requested.uid !== me.uid || requested.gid !== me.gid)) {
    throw new SandboxError(
      `cannot run the sandbox as host uid ${requested.uid}: only root can switch users (running as uid ${me.uid})`,
    );
  }
  return null;
}

/**
 * The nearest folder above `target` that `user` cannot walk through (not searchable by others and not its own),
 * or null when it can reach `target`. bwrap runs as that user, so a bind's source behind such a folder fails.
 */
export async function unsearchableAncestor(target: string, user: HostUser): Promise<string | null> {
  for (let dir = path.dirname(path.resolve(target)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const st = await fs.stat(dir);
    if ((st.mode & 0o001) === 0 && st.uid !== user.uid) return dir;
  }
  return null;
}
