/**
 * The last filter on every error message shown to a person: no host path (the data folder, a workspace, /tmp, the
 * install directory) and no SQL or query parameters, whatever message an error was built from.
 */

const HIDDEN_PATH = "<server path>";

// An absolute path in quotes: 'open "/tmp/x y/z"' (anything up to the closing quote).
const QUOTED_PATH = /(['"`])\/[^'"`\n]*\1/g;
// An absolute path of two or more segments that is not part of a URL or of a relative path ("src/a", "https://h/x").
const BARE_PATH = /(?<![\w/:.~<>-])\/[\w.@%+=~-]+(?:\/[\w.@%+=~-]*)+/g;

export function scrubHostPaths(message: string): string {
  return message.replace(QUOTED_PATH, (_m, q: string) => `${q}${HIDDEN_PATH}${q}`).replace(BARE_PATH, HIDDEN_PATH);
}

export function publicMessage(message: string): string {
  let out = message;
  const failed = out.indexOf("Failed query:");
  if (failed >= 0) out = out.slice(0, failed).trimEnd() || "The database refused the request.";
  const params = out.search(/(^|\n)\s*params:/);
  if (params >= 0) out = out.slice(0, params).trimEnd();
  return scrubHostPaths(out);
}
