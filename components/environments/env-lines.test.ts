import { describe, expect, it } from "vitest";
import { formatEnvLines, parseEnvLines } from "./env-lines";

describe("environment variable lines", () => {
  it("reads NAME=value lines, keeps = in values, skips blanks and comments, and reports bad lines", () => {
    const { vars, errors } = parseEnvLines("# comment\nAPP_MODE=test\n\nURL=http://x/?a=b\nbroken\n=nothing");
    expect(vars).toEqual({ APP_MODE: "test", URL: "http://x/?a=b" });
    expect(errors).toEqual(["Line 5: expected NAME=value", "Line 6: expected NAME=value"]);
    expect(parseEnvLines(formatEnvLines(vars)).vars).toEqual(vars);
  });
});
