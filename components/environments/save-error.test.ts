import { describe, expect, it } from "vitest";
import { environmentInput } from "@/lib/environments/schemas";
import { describeSaveError } from "./save-error";
import { varNameProblem } from "./var-name";

describe("secret and variable names", () => {
  it("refuses before sending exactly what the server refuses", () => {
    for (const name of ["API_TOKEN", "_x", "a1", "1BAD", "BAD-NAME", "PATH", "HOME", "with space", "é", "A".repeat(64), "A".repeat(65)]) {
      const server = environmentInput.safeParse({ secrets: { [name]: "v" } }).success;
      expect(varNameProblem(name) === null, name).toBe(server);
    }
  });

  it("says what is wrong in a sentence", () => {
    expect(varNameProblem("1BAD")).toBe("“1BAD” starts with a digit: names start with a letter or _.");
    expect(varNameProblem("BAD-NAME")).toMatch(/letters, digits and _ only/);
  });
});

describe("describeSaveError", () => {
  it("turns the schema's path into the field a person knows", () => {
    const out = describeSaveError({ code: "bad_request", message: "secrets.1BAD: names are letters, digits and _, not starting with a digit" });
    expect(out.message).toBe("Nothing was saved: the secret “1BAD” was refused (names are letters, digits and _, not starting with a digit).");
    expect(describeSaveError({ code: "bad_request", message: "setupScript: is longer than 64 KiB" }).message).toBe(
      "Nothing was saved: the setup script was refused (is longer than 64 KiB).",
    );
    expect(describeSaveError({ code: "bad_request", message: "allowedDomains.3: is not a host name" }).message).toBe(
      "Nothing was saved: the allowed domain was refused (is not a host name).",
    );
  });

  it("leaves other errors as they are", () => {
    const e = { code: "internal", message: "Something went wrong on our side. Try again." };
    expect(describeSaveError(e)).toBe(e);
  });
});
