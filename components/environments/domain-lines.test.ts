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

  it("agrees with the server's schema", () => {
    for (const line of ["example.com", "*.example.com", "a-b.c", "-bad.com", "bad-.com", "a..b", "*.*.x", "x_y.com", "é.com"]) {
      const client = parseDomainLines(line).errors.length === 0;
      const server = environmentInput.safeParse({ allowedDomains: [line] }).success;
      expect(client, line).toBe(server);
    }
  });

  it("refuses more domains than the server keeps", () => {
    const many = Array.from({ length: 201 }, (_, i) => `h${i}.example.com`).join("\n");
    expect(parseDomainLines(many).errors.map(describeDomainError)).toEqual(["At most 200 domains (there are 201)."]);
  });
});
