import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliError, EXIT } from "./errors.mjs";

/**
 * Where `patchbay login` keeps the server URL and the token: the user's config directory
 * ($XDG_CONFIG_HOME or ~/.config on Linux and macOS, %APPDATA% on Windows), in patchbay/config.json, mode 600.
 */
export function configDir(env = process.env) {
  if (env.PATCHBAY_CONFIG_DIR) return env.PATCHBAY_CONFIG_DIR;
  if (process.platform === "win32" && env.APPDATA) return path.join(env.APPDATA, "patchbay");
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), ".config");
  return path.join(base, "patchbay");
}

export const configPath = (env = process.env) => path.join(configDir(env), "config.json");

/** @returns {{ url?: string, token?: string }} */
export function readConfig(env = process.env) {
  const file = configPath(env);
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") return {};
    throw new CliError(`Cannot read ${file}: ${err.message}`, EXIT.USAGE, { code: "config" });
  }
  try {
    const data = JSON.parse(text);
    return typeof data === "object" && data ? data : {};
  } catch {
    throw new CliError(`${file} is not valid JSON. Run \`patchbay login\` again.`, EXIT.USAGE, { code: "config" });
  }
}

/** Written to a private temporary file first, then renamed: the token is never readable by others, even briefly. */
export function writeConfig(config, env = process.env) {
  const dir = configDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = configPath(env);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

export function removeConfig(env = process.env) {
  const file = configPath(env);
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if (err.code === "ENOENT") return false;
    throw err;
  }
}

/** The server and token to use: PATCHBAY_URL / PATCHBAY_TOKEN (for CI) over the saved login. */
export function credentials(env = process.env) {
  const saved = readConfig(env);
  const url = env.PATCHBAY_URL || saved.url;
  const token = env.PATCHBAY_TOKEN || saved.token;
  if (!url || !token) {
    throw new CliError("Not logged in. Run `patchbay login` (or set PATCHBAY_URL and PATCHBAY_TOKEN).", EXIT.AUTH, { code: "not_logged_in" });
  }
  return { url: normalizeUrl(url), token };
}

export function normalizeUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`"${raw}" is not a URL (e.g. https://patchbay.example.com).`, EXIT.USAGE, { code: "usage" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`"${raw}" is not an http(s) URL.`, EXIT.USAGE, { code: "usage" });
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
}
