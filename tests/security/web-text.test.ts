import { describe, expect, it } from "vitest";
import { ZodError, type ZodType } from "zod";
import { environmentInput } from "@/lib/environments/schemas";
import { errorResponse } from "@/lib/http";
import { boardQuery } from "@/lib/tasks/list";
import { createTaskInput, followUpInput } from "@/lib/tasks/schemas";
import { invalidTextReason, printable } from "@/lib/text";

const NUL = "\u0000";
const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";

/** What a person sees when the API refuses this input: status and message. */
async function refusal(schema: ZodType, input: unknown) {
  const parsed = schema.safeParse(input);
  expect(parsed.success, JSON.stringify(input)).toBe(false);
  const res = errorResponse((parsed as { error: ZodError }).error);
  return { status: res.status, message: ((await res.json()) as { error: { message: string } }).error.message };
}

const task = { repo: "acme/widgets", branch: "main", mode: "code", prompt: "Make greet trim the name" };

describe("invalid text", () => {
  it("names NUL, other C0 controls and unpaired surrogates; keeps tab, newlines, emoji and accents", () => {
    expect(invalidTextReason(`a${NUL}b`)).toMatch(/NUL byte \(U\+0000\)/);
    expect(invalidTextReason("a\u001bb")).toMatch(/control character U\+001B/);
    expect(invalidTextReason("a\u0008b")).toMatch(/U\+0008/);
    expect(invalidTextReason(`a${LONE_HIGH}b`)).toMatch(/unpaired UTF-16 surrogate \(U\+D800\)/);
    expect(invalidTextReason(`a${LONE_LOW}`)).toMatch(/U\+DC00/);
    expect(invalidTextReason(`end${LONE_HIGH}`)).toMatch(/surrogate/);
    expect(invalidTextReason("tab\there\nline\r\n😀 é ü 日本")).toBeNull();
    expect(printable(`A${NUL}B😀`)).toBe("A\\u0000B😀");
  });

  it("a prompt, branch or repository name with a NUL is a 400 naming the field", async () => {
    expect(await refusal(createTaskInput, { ...task, prompt: `fix${NUL}it` })).toEqual({
      status: 400,
      message: "prompt: contains a NUL byte (U+0000), which is not allowed in text",
    });
    expect(await refusal(createTaskInput, { ...task, prompt: `fix ${LONE_HIGH}` })).toMatchObject({ status: 400, message: expect.stringMatching(/^prompt: contains an unpaired/) });
    expect((await refusal(createTaskInput, { ...task, branch: `main${NUL}` })).message).toMatch(/^branch: contains a NUL byte/);
    expect((await refusal(createTaskInput, { ...task, branch: `ma${LONE_LOW}in` })).message).toMatch(/^branch: contains an unpaired/);
    expect((await refusal(createTaskInput, { ...task, repo: `acme/wid${NUL}gets` })).message).toMatch(/^repo: contains a NUL byte/);
  });

  it("a follow-up with a control character is a 400 naming the field", async () => {
    expect(await refusal(followUpInput, { prompt: "and\u0007 then" })).toEqual({
      status: 400,
      message: "prompt: contains the control character U+0007, which is not allowed in text",
    });
  });

  it("environment variables (names and values), secrets and the setup script", async () => {
    expect((await refusal(environmentInput, { setupScript: `npm ci${NUL}` })).message).toMatch(/^setupScript: contains a NUL byte/);
    expect((await refusal(environmentInput, { envVars: { APP_MODE: `e2e${NUL}` } })).message).toMatch(/^envVars\.APP_MODE: contains a NUL byte/);
    // The bad name is spelled with an escape in the message, not echoed raw.
    expect((await refusal(environmentInput, { envVars: { [`AP${NUL}P`]: "x" } })).message).toBe(
      "envVars.AP\\u0000P: contains a NUL byte (U+0000), which is not allowed in text",
    );
    expect((await refusal(environmentInput, { secrets: { TOKEN: `tok${LONE_HIGH}` } })).message).toMatch(/^secrets\.TOKEN: contains an unpaired/);
    expect((await refusal(environmentInput, { removeSecrets: [`T${NUL}`] })).message).toMatch(/^removeSecrets\.0: contains a NUL byte/);
    // Bad names keep their specific reason (not zod's "Invalid key in record").
    expect((await refusal(environmentInput, { envVars: { "1BAD": "x" } })).message).toBe("envVars.1BAD: names are letters, digits and _, not starting with a digit");
  });

  it("the board's search and cursor", async () => {
    expect((await refusal(boardQuery, { q: `greet${NUL}` })).message).toMatch(/^q: contains a NUL byte/);
    expect((await refusal(boardQuery, { cursor: `x${NUL}` })).message).toMatch(/^cursor: contains a NUL byte/);
  });

  it("valid text still passes, trimmed as before", () => {
    expect(createTaskInput.parse({ ...task, prompt: "  line one\n\tline two 😀  " }).prompt).toBe("line one\n\tline two 😀");
    expect(environmentInput.parse({ setupScript: "npm ci\r\n", envVars: { A: "b c" } }).envVars).toEqual({ A: "b c" });
  });
});
