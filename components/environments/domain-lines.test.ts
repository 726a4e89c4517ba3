import { describe, expect, it } from "vitest";
import { environmentInput } from "@/lib/environments/schemas";
import { describeDomainError, formatDomainLines, parseDomainLines } from "./domain-lines";

describe("allowlist domain lines", () => {
  it("reads one host per line, normalizes, skips blanks and repeats, and names each bad line", () => {
    const { domains, errors } = parseDomainLines("Example.COM\n\n  *.npmjs.org  \nexample.com.\nnot a host\nhttps://x.io/\n*.\n");
    expect(domains).toEqual(["example.com", "*.npmjs.org"]);
    expect(errors.map(describeDomainError)).toEqual([
      "Line 5: “not a host” is not a host name (use example.com or *.example.com)",
      "Line 6: “https://x.io/” is not a host name (use example.com or *.example.com)",
      "Line 7: “*.” is not a host name (use example.com or *.example.com)",
    ]);
    expect(parseDomainLines(formatDomainLines(domains))).toEqual({ domains, errors: [] });
  });

  it("agrees with the server's schema, message and all", () => {
    const lines = ["example.com", "*.example.com", "a-b.c", "-bad.com", "bad-.com", "a..b", "*.*.x", "x_y.com", "é.com", `${"a".repeat(250)}.com`, "bell\u0007.com"];
    for (const line of lines) {
      const client = parseDomainLines(line).errors[0]?.message ?? null;
      const server = environmentInput.safeParse({ allowedDomains: [line] });
      expect(client, line).toBe(server.success ? null : server.error.issues[0].message);
    }
  });

  it("refuses more domains than the server keeps", () => {
    const many = Array.from({ length: 201 }, (_, i) => `h${i}.example.com`).join("\n");
    expect(parseDomainLines(many).errors.map(describeDomainError)).toEqual(["At most 200 domains (there are 201)."]);
  });
});
