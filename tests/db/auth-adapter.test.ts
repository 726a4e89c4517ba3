import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { accounts } from "@/db/schema";
import { patchbayAdapter } from "@/lib/auth/adapter";
import { decryptText } from "@/lib/crypto";
import { dbKinds, openTestDb } from "../helpers/db";

describe.each(dbKinds)("auth adapter on %s", (kind) => {
  let handle: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    handle = await openTestDb(kind);
  });
  afterAll(async () => handle?.cleanup());

  it("creates users, links accounts with sealed tokens, and resolves sessions", async () => {
    const adapter = patchbayAdapter(async () => handle.db);
    const user = await adapter.createUser!({ name: "Alice", email: "alice@example.com", emailVerified: null, image: null } as never);
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    await adapter.linkAccount!({
      userId: user.id,
      type: "oauth",
      provider: "github",
      providerAccountId: "1001",
      access_token: "ghu_plaintext_token",
      refresh_token: "ghr_refresh",
      expires_at: 2_000_000_000,
      token_type: "bearer",
    } as never);
    const [row] = await handle.db.select().from(accounts).where(eq(accounts.userId, user.id));
    expect(row.accessToken).not.toContain("ghu_plaintext_token");
    expect(decryptText(row.accessToken!)).toBe("ghu_plaintext_token");
    expect(await adapter.getUserByAccount!({ provider: "github", providerAccountId: "1001" })).toMatchObject({ id: user.id });

    const expires = new Date(Date.now() + 3600_000);
    await adapter.createSession!({ sessionToken: "tok-1", userId: user.id, expires });
    const found = await adapter.getSessionAndUser!("tok-1");
    expect(found?.user.email).toBe("alice@example.com");

    // A session whose user was deleted resolves to nothing: the visitor is signed out.
    await adapter.deleteUser!(user.id);
    expect(await adapter.getSessionAndUser!("tok-1")).toBeNull();
  });

  it("treats a malformed user id as unknown instead of failing the query", async () => {
    const adapter = patchbayAdapter(async () => handle.db);
    expect(await adapter.getUser!("not-a-uuid")).toBeNull();
  });
});
