import { describe, expect, it } from "vitest";
import { mentionHandles, parseCommand } from "./commands";

const handles = mentionHandles({ mention: "@patchbay", appSlug: "patchbay-app" });

describe("commands in comments", () => {
  it("reads review, fix and a plain task, at the start of a line, in any case", () => {
    expect(parseCommand("@patchbay review", handles)).toEqual({ kind: "review", focus: "" });
    expect(parseCommand("Thanks!\n\n@Patchbay review the error handling", handles)).toEqual({ kind: "review", focus: "the error handling" });
    expect(parseCommand("@patchbay fix the off-by-one in sum\nand add a test", handles)).toEqual({ kind: "fix", request: "the off-by-one in sum\nand add a test" });
    expect(parseCommand("@patchbay: make greet trim the name", handles)).toEqual({ kind: "task", request: "make greet trim the name" });
    expect(parseCommand("@patchbay-app[bot] review", handles)).toEqual({ kind: "review", focus: "" });
    expect(parseCommand("@patchbay-app fix it", handles)).toEqual({ kind: "fix", request: "it" });
  });

  it("asks for help when there is nothing to do", () => {
    expect(parseCommand("@patchbay", handles)).toEqual({ kind: "help" });
    expect(parseCommand("@patchbay fix", handles)).toEqual({ kind: "help" });
  });

  it("ignores mentions inside a sentence, in quotes, in code, and other handles that start the same", () => {
    expect(parseCommand("I think @patchbay review was wrong", handles)).toBeNull();
    expect(parseCommand("> @patchbay review\n\nit was wrong", handles)).toBeNull();
    expect(parseCommand("```\n@patchbay review\n```", handles)).toBeNull();
    expect(parseCommand("~~~md\n@patchbay fix x\n~~~\n", handles)).toBeNull();
    expect(parseCommand("@patchbay-fan review", handles)).toBeNull();
    expect(parseCommand("@patchbayz review", handles)).toBeNull();
    expect(parseCommand("@patchbay/team review", handles)).toBeNull();
    expect(parseCommand("```\ncode\n```\n@patchbay review", handles)).toEqual({ kind: "review", focus: "" });
  });

  it("reviewer and fixer words only count first", () => {
    expect(parseCommand("@patchbay please review", handles)).toEqual({ kind: "task", request: "please review" });
    expect(parseCommand("@patchbay reviewing is fun", handles)).toEqual({ kind: "task", request: "reviewing is fun" });
  });
});
