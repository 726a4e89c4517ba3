import { describe, expect, it } from "vitest";

import { patchFromShell } from "./invocation";

const PATCH = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch";

describe("patchFromShell", () => {
  it("recognises apply_patch with the patch as its argument", () => {
    expect(patchFromShell(["apply_patch", PATCH])).toEqual({ kind: "patch", patch: PATCH });
    expect(patchFromShell(["applypatch", PATCH])).toEqual({ kind: "patch", patch: PATCH });
    expect(patchFromShell(["/usr/local/bin/apply_patch", PATCH])).toEqual({ kind: "patch", patch: PATCH });
  });

  it("recognises a bash -lc heredoc, with any quoting of the tag", () => {
    for (const open of ["<<'EOF'", "<<EOF", '<<"EOF"', "<< 'PATCH'"]) {
      const tag = open.includes("PATCH") ? "PATCH" : "EOF";
      const script = `apply_patch ${open}\n${PATCH}\n${tag}\n`;
      expect(patchFromShell(["bash", "-lc", script])).toEqual({ kind: "patch", patch: PATCH, cd: undefined });
    }
    expect(patchFromShell(["sh", "-c", `apply_patch <<'EOF'\n${PATCH}\nEOF`])).toMatchObject({ kind: "patch", patch: PATCH });
  });

  it("recognises cd <dir> && apply_patch and reports the directory", () => {
    expect(patchFromShell(["bash", "-lc", `cd packages/web && apply_patch <<'EOF'\n${PATCH}\nEOF`])).toEqual({ kind: "patch", patch: PATCH, cd: "packages/web" });
    expect(patchFromShell(["bash", "-lc", `cd 'my dir' && apply_patch <<'EOF'\n${PATCH}\nEOF`])).toMatchObject({ cd: "my dir" });
  });

  it("recognises a quoted patch argument inside a script", () => {
    expect(patchFromShell(["bash", "-lc", `apply_patch '${PATCH}'`])).toEqual({ kind: "patch", patch: PATCH, cd: undefined });
  });

  it("applies a bare patch sent as the command", () => {
    expect(patchFromShell([PATCH])).toEqual({ kind: "patch", patch: PATCH });
    expect(patchFromShell(["bash", "-lc", PATCH])).toEqual({ kind: "patch", patch: PATCH });
  });

  it("refuses, with instructions, a patch mixed with other commands", () => {
    const mixed = patchFromShell(["bash", "-lc", `apply_patch <<'EOF'\n${PATCH}\nEOF\nnpm test`]);
    expect(mixed).toMatchObject({ kind: "malformed", message: expect.stringMatching(/only command/) });
    expect(patchFromShell(["bash", "-lc", `echo hi; apply_patch <<'EOF'\n${PATCH}\nEOF`])).toMatchObject({ kind: "malformed" });
    expect(patchFromShell(["apply_patch"])).toMatchObject({ kind: "malformed", message: expect.stringMatching(/single argument/) });
  });

  it("leaves every other command alone", () => {
    expect(patchFromShell(["bash", "-lc", "npm test"])).toBeNull();
    expect(patchFromShell(["rg", "apply_patch"])).toBeNull();
    expect(patchFromShell(["bash", "-lc", "grep -rn apply_patch docs/"])).toBeNull();
    expect(patchFromShell(["bash", "-lc", "cd src && ls"])).toBeNull();
  });
});
