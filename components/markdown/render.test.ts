import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { AgentMarkdown } from "./markdown";

const message = `## Summary
- Fixed the greeting in 【F:src/greet_user.js†L1-L3】 and \`【F:not/a/citation†L1】\`
- See [docs](https://example.com/docs), [bad](javascript:alert(1)) and <img src=x onerror=alert(1)>

## Testing
- ✅ \`npm test\` 【c2†L3-L7】

\`\`\`js
console.log("hi");
\`\`\`
`;

describe("AgentMarkdown (server render)", () => {
  const html = renderToString(createElement(AgentMarkdown, { text: message, onCitation: () => {} }));

  it("turns citations into buttons, but not inside code", () => {
    expect(html).toContain("greet_user.js:1-3");
    expect(html).toContain("log c2:3-7");
    expect(html.match(/data-citation-kind=/g)?.length).toBe(2);
    expect(html).toContain("【F:not/a/citation†L1】");
  });

  it("keeps only http(s) links and never injects HTML", () => {
    expect(html).toContain('href="https://example.com/docs"');
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img");
  });

  it("renders headings as section labels and code blocks", () => {
    expect(html).toMatch(/<h3[^>]*>Summary<\/h3>/);
    expect(html).toContain("<pre");
  });
});
